package dev.tenure.backend.azure;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Answers the backend's requests from recorded exchanges, in order, and keeps every request it
 * got: the wire of {@link AzureBlobBackend} tested without a server. An answer may also break the
 * connection after the request arrived, or never come.
 */
final class RecordedBlobServer implements AutoCloseable {

    enum Kind { ANSWER, RESET, HANG }

    /** One recorded answer. */
    record Answer(Kind kind, int status, Map<String, String> headers, String body) {
        static Answer of(int status, Map<String, String> headers, String body) {
            return new Answer(Kind.ANSWER, status, headers, body);
        }

        /** An Azure error answer: the code in {@code x-ms-error-code} and in the XML body, as Azure and Azurite send it. */
        static Answer error(int status, String code, String message) {
            return of(status, Map.of("x-ms-error-code", code, "Content-Type", "application/xml"),
                    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>" + code + "</Code>\n  <Message>"
                            + message + "\nRequestId:97b8c572-55a3-4216-aa24-78e1eabed96c\nTime:2026-11-29T14:27:52.641Z</Message>\n</Error>");
        }
    }

    /** A request as it arrived: header names lower-case. */
    record Seen(String method, String pathAndQuery, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Deque<Answer> answers = new ArrayDeque<>();
    private final CountDownLatch released = new CountDownLatch(1);
    final List<Seen> seen = new CopyOnWriteArrayList<>();

    RecordedBlobServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** The path-style endpoint of the emulator's account on this server. */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/devstoreaccount1");
    }

    synchronized RecordedBlobServer answer(Answer answer) {
        answers.add(answer);
        return this;
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
        seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()), headers, body));
        Answer answer;
        synchronized (this) {
            answer = answers.poll();
        }
        if (answer == null) {
            answer = Answer.of(599, Map.of(), "no recorded answer left");
        }
        switch (answer.kind()) {
            case RESET -> {
                // The request arrived whole; the connection breaks before any answer.
                exchange.close();
                return;
            }
            case HANG -> {
                try {
                    released.await(1, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
                return;
            }
            default -> {
            }
        }
        byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
        answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(answer.status(), head || out.length == 0 ? -1 : out.length);
        if (!head && out.length > 0) {
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(out);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
