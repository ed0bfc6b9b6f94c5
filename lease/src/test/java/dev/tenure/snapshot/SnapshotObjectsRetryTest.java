package dev.tenure.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.retry.RetryPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 (build: one retry helper): every snapshot retry runs through the shared
 * {@link dev.tenure.retry.Retrier}, bounded by the policy and the step's deadline on the injected
 * clock, and an upload answered ambiguously is sent again only after asking whether it landed.
 * Time moves only when the backend says an attempt took it; the policy's waits are 1 ms at most.
 */
class SnapshotObjectsRetryTest {

    private static final String KEY = "snapshots/db/data/0000000000000000001-0000000000000000001-00000000000000ab";
    /** Many attempts, so that only the deadline can stop the retries. */
    private static final RetryPolicy MANY = new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 1000);

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong(123_456_789L);
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private Path staged;

    @BeforeEach
    void stage() throws IOException {
        staged = Files.write(dir.resolve("staged"), new byte[] {1, 2, 3});
    }

    /**
     * Answers content uploads (conditional and plain) with {@code fault}, which is given the call's
     * number (1 for the first) and may apply the upload itself; null lets the call through. Logs
     * every upload and existence check of the content key, in order.
     */
    private AtomicRemoteBackend scripted(BiFunction<Integer, Runnable, BackendException> fault) {
        return new ForwardingAtomicBackend(new InMemoryBackend()) {
            private int uploads;

            @Override
            public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
                calls.add("upload");
                ObjectVersion[] applied = {null};
                BackendException e = fault.apply(++uploads, () -> applied[0] = super.uploadConditional(localPath, key, condition));
                if (e != null) {
                    throw e;
                }
                return applied[0] != null ? applied[0] : super.uploadConditional(localPath, key, condition);
            }

            @Override
            public void upload(Path localPath, String key) {
                calls.add("upload");
                BackendException e = fault.apply(++uploads, () -> super.upload(localPath, key));
                if (e != null) {
                    throw e;
                }
                super.upload(localPath, key);
            }

            @Override
            public boolean exists(String key) {
                boolean exists = super.exists(key);
                calls.add("exists:" + exists);
                return exists;
            }
        };
    }

    private SnapshotObjects remote(AtomicRemoteBackend backend, boolean atomic, SnapshotOptions options) {
        return SnapshotObjects.of(backend, atomic ? backend : null, "db", options, clock::get);
    }

    /** Each failed attempt takes 300 ms of the injected clock. */
    private BackendException slowFailure(boolean ambiguous) {
        clock.addAndGet(Duration.ofMillis(300).toNanos());
        return BackendException.transport(KEY, ambiguous, "test: 503 after 300 ms", null);
    }

    @Test
    void aContentUploadStopsRetryingAtTheStepsDeadlineOnTheInjectedClock() {
        SnapshotObjects remote = remote(scripted((n, apply) -> slowFailure(false)), true,
                SnapshotOptions.defaults().withRetry(MANY).withDeadline(Duration.ofSeconds(1)));
        BackendException e = assertThrows(BackendException.class, () -> remote.uploadContent(staged, KEY));
        assertEquals(4, calls.size(), "attempts at 0, 300, 600 and 900 ms; none after the deadline at 1 s: " + calls);
        assertEquals(BackendException.Kind.TRANSPORT, e.kind());
        assertFalse(e.ambiguous());
        assertTrue(e.getMessage().startsWith("snapshot db: uploading content " + KEY + " did not succeed within its deadline of 1000 ms"
                + " (SnapshotOptions.deadline)"), e.getMessage());
    }

    @Test
    void anUnconditionalUploadResendsEvenAfterAmbiguousFailuresButOnlyUntilItsDeadline() {
        // Plain backend: the same immutable bytes under a fresh key, so sending them again is harmless.
        SnapshotObjects remote = remote(scripted((n, apply) -> slowFailure(true)), false,
                SnapshotOptions.defaults().withRetry(MANY).withDeadline(Duration.ofSeconds(1)));
        BackendException e = assertThrows(BackendException.class, () -> remote.uploadContent(staged, KEY));
        assertEquals(List.of("upload", "upload", "upload", "upload"), calls, "no existence check on a plain backend");
        assertTrue(e.ambiguous(), "the last attempt's outcome is unknown, and the deadline's error says so");
        assertTrue(e.getMessage().contains("did not succeed within its deadline of 1000 ms"), e.getMessage());
    }

    @Test
    void withoutADeadlineThePolicysAttemptsBoundTheRetries() {
        SnapshotObjects remote = remote(scripted((n, apply) -> slowFailure(false)), true,
                SnapshotOptions.defaults().withRetry(new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 3)));
        BackendException e = assertThrows(BackendException.class, () -> remote.uploadContent(staged, KEY));
        assertEquals(3, calls.size(), calls.toString());
        assertEquals("test: 503 after 300 ms", e.getMessage(), "no deadline passed: the last failure as it is");
    }

    @Test
    void anUploadAnsweredAmbiguouslyIsSentAgainOnlyAfterTheExistenceCheckSaysItDidNotLand() {
        AtomicRemoteBackend backend = scripted((n, apply) -> n == 1
                ? BackendException.transport(KEY, true, "test: connection reset; not applied", null) : null);
        remote(backend, true, SnapshotOptions.defaults().withRetry(MANY)).uploadContent(staged, KEY);
        assertEquals(List.of("upload", "exists:false", "upload"), calls);
        assertTrue(backend.exists(KEY));
    }

    @Test
    void anUploadAnsweredAmbiguouslyThatLandedIsNotSentAgain() {
        AtomicRemoteBackend backend = scripted((n, apply) -> {
            apply.run();
            return n == 1 ? BackendException.transport(KEY, true, "test: answer lost after applying", null) : null;
        });
        remote(backend, true, SnapshotOptions.defaults().withRetry(MANY)).uploadContent(staged, KEY);
        assertEquals(List.of("upload", "exists:true"), calls);
    }

    @Test
    void aFailureThatIsNotTransientFailsAtOnce() {
        BackendException denied = BackendException.auth(KEY, "test: 403", null);
        SnapshotObjects remote = remote(scripted((n, apply) -> denied), true, SnapshotOptions.defaults().withRetry(MANY));
        assertSame(denied, assertThrows(BackendException.class, () -> remote.uploadContent(staged, KEY)));
        assertEquals(List.of("upload"), calls);
    }
}
