package dev.tenure.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.http.HttpBackend;
import dev.tenure.backend.http.HttpSettings;
import dev.tenure.retry.RetryPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 18: against an endpoint that accepts connections and never answers,
 * {@code snapshot info} took 309 s with default settings: the retry policy's 10 attempts times
 * the 30 s request timeout, plus up to 16 s of backoff. Every step now stops at a deadline (the
 * backend's request timeout unless the options set one). The tests use deadlines of at most 1 s
 * and assert an upper bound; with the old behaviour the same settings take about 18 s.
 */
class SnapshotDeadlineTest {

    /**
     * Well above the deadlines used (one request of 1 s may run past a deadline, and a loaded
     * machine takes a while to start an HTTP client), below what the old code took with the same
     * settings: ten attempts of 1 s plus the S3 policy's backoff, 10 s at the very least, 18 s typically.
     */
    private static final Duration BOUND = Duration.ofSeconds(8);

    @TempDir
    Path dir;

    private ServerSocket silent;
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startSilentServer() throws IOException {
        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!silent.isClosed()) {
                try {
                    held.add(silent.accept()); // accepted, never read, never answered
                } catch (IOException closed) {
                    return;
                }
            }
        }, "silent-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterEach
    void stopSilentServer() throws IOException {
        silent.close();
        for (Socket s : held) {
            s.close();
        }
    }

    private String uri(String query) {
        return "http://127.0.0.1:" + silent.getLocalPort() + "/store/" + query;
    }

    private static BackendException timed(Duration bound, org.junit.jupiter.api.function.Executable call) {
        long start = System.nanoTime();
        BackendException e = assertThrows(BackendException.class, call);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(bound) < 0, "took " + took.toMillis() + " ms, bound " + bound.toMillis() + " ms: " + e);
        System.out.println("[deadline] failed after " + took.toMillis() + " ms: " + e.getMessage());
        return e;
    }

    @Test
    void infoAgainstASilentServerEndsAtTheBackendsDeadline() {
        try (HttpBackend backend = HttpBackend.open(HttpSettings.fromUri(uri("?requestTimeoutMs=1000")))) {
            UnconditionalSnapshotStore store = UnconditionalSnapshotStore.open(backend, "db", SnapshotOptions.defaults());
            BackendException e = timed(BOUND, store::latest);
            assertEquals(BackendException.Kind.TRANSPORT, e.kind(), e.toString());
            assertFalse(e.ambiguous(), "a read is never ambiguous");
            assertTrue(e.getMessage().contains("deadline of 1000 ms") && e.getMessage().contains("requestTimeoutMs"), e.getMessage());
            assertEquals(1, held.size(), "one attempt of 1 s used the whole deadline: no retry was started after it");
        }
    }

    @Test
    void theOptionsDeadlineBoundsEveryStepOfAWriterAndAReader() {
        // The request timeout alone would allow 10 attempts of 1 s and the policy's backoff: the options' 400 ms win
        // (the attempt in flight at the deadline still runs to its own 1 s timeout).
        SnapshotOptions options = SnapshotOptions.defaults().withRetry(RetryPolicy.s3()).withDeadline(Duration.ofMillis(400));
        try (HttpBackend backend = HttpBackend.open(HttpSettings.fromUri(uri("?requestTimeoutMs=1000")))) {
            UnconditionalSnapshotStore store = UnconditionalSnapshotStore.open(backend, "db", options);
            BackendException reading = timed(BOUND, () -> store.reader(dir.resolve("r.db")));
            assertTrue(reading.getMessage().contains("deadline of 400 ms") && reading.getMessage().contains("SnapshotOptions.deadline"),
                    reading.getMessage());
            BackendException opening = timed(BOUND, () -> store.unfencedWriter("w", dir.resolve("w.db")));
            assertTrue(opening.getMessage().contains("deadline of 400 ms"), opening.getMessage());
        }
    }
}
