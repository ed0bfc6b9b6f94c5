package dev.tenure.it.s3;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Adobe S3Mock as a separate process. It answers conditional headers correctly one request at a
 * time but loses races, so it serves only as the example of a store that is not atomic.
 */
final class S3MockServer implements AutoCloseable {

    static final String BUCKET = "tenure-it";

    private final Process process;
    private final URI endpoint;
    private final Path log;

    private S3MockServer(Process process, URI endpoint, Path log) {
        this.process = process;
        this.endpoint = endpoint;
        this.log = log;
    }

    static S3MockServer start(Path workDir) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("tenure.s3mock.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("S3Mock jar missing (copied by the src-it pom): " + jar);
        }
        int http = freePort();
        int https = freePort();
        Path log = workDir.resolve("s3mock.log");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", jar.toString(),
                "--server.port=" + https,
                "--com.adobe.testing.s3mock.httpPort=" + http,
                "--com.adobe.testing.s3mock.store.root=" + workDir.resolve("s3mock-data"),
                "--com.adobe.testing.s3mock.store.initialBuckets=" + BUCKET)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        S3MockServer server = new S3MockServer(process, URI.create("http://127.0.0.1:" + http), log);
        server.awaitListening(http);
        return server;
    }

    URI endpoint() {
        return endpoint;
    }

    private void awaitListening(int port) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("S3Mock exited during start: " + tail());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }
        close();
        throw new AssertionError("S3Mock did not listen on " + port + " within 120 s: " + tail());
    }

    private String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
