package dev.tenure.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetrierTest {

    private static final RetryPolicy POLICY = new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(2), 2.0, 5);

    static final class Unknown extends RuntimeException {
        Unknown(String m, Throwable cause) {
            super(m, cause);
        }
    }

    @Test
    void readsRetryOnlyTransientFailuresAndStopAtThePolicysAttempts() {
        Retrier r = new Retrier("t", POLICY, Duration.ofSeconds(10), System::nanoTime, new SplittableRandom(1));
        AtomicInteger calls = new AtomicInteger();
        BackendException e = assertThrows(BackendException.class, () -> r.read(() -> {
            calls.incrementAndGet();
            throw BackendException.transport("k", false, "503", null);
        }));
        assertEquals(5, calls.get());
        assertEquals("503", e.getMessage());
        calls.set(0);
        assertThrows(BackendException.class, () -> r.read(() -> {
            calls.incrementAndGet();
            throw BackendException.auth("k", "403", null);
        }));
        assertEquals(1, calls.get(), "auth fails fast");
    }

    @Test
    void noRetryStartsAfterTheDeadline() {
        AtomicLong clock = new AtomicLong();
        Retrier r = new Retrier("t", new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 1000), Duration.ofSeconds(1),
                clock::get, new SplittableRandom(1));
        AtomicInteger calls = new AtomicInteger();
        assertThrows(BackendException.class, () -> r.read(() -> {
            calls.incrementAndGet();
            clock.addAndGet(Duration.ofMillis(300).toNanos()); // each attempt takes 300 ms
            throw BackendException.transport("k", false, "timeout", null);
        }));
        assertEquals(4, calls.get(), "attempts at 0, 300, 600 and 900 ms; none after the deadline at 1 s");
    }

    @Test
    void aStepWhoseLastFailureWasAmbiguousEndsInTheCallersOutcomeUnknown() {
        Retrier r = new Retrier("raise", POLICY, Duration.ofSeconds(10), System::nanoTime, new SplittableRandom(1));
        BackendException lost = BackendException.transport("k", true, "answer lost", null);
        Unknown u = assertThrows(Unknown.class, () -> r.resolve(() -> {
            throw lost;
        }, Unknown::new));
        assertSame(lost, u.getCause());
        assertTrue(u.getMessage().contains("unknown"), u.getMessage());
        AtomicInteger calls = new AtomicInteger();
        assertEquals(7, r.resolve(() -> {
            if (calls.incrementAndGet() < 3) {
                throw BackendException.preconditionFailed("k", "412");
            }
            return 7;
        }, Unknown::new), "a precondition failure re-runs the step, which reads first");
        BackendException refused = assertThrows(BackendException.class, () -> r.resolve(() -> {
            throw BackendException.preconditionFailed("k", "412");
        }, Unknown::new));
        assertInstanceOf(BackendException.class, refused, "a definite last failure is thrown as it is");
    }

    @Test
    void untilUsesTheCallersDeadlineAndRetryRule() {
        AtomicLong clock = new AtomicLong(-5_000_000_000L); // nanoTime may be negative
        Retrier r = new Retrier("t", new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 1000), Duration.ofMillis(1),
                clock::get, new SplittableRandom(1));
        AtomicInteger calls = new AtomicInteger();
        BackendException lost = BackendException.transport("k", true, "answer lost", null);
        // The caller's rule retries an ambiguous failure, which read() never does; its deadline, not the retrier's 1 ms, bounds it.
        assertSame(lost, assertThrows(BackendException.class, () -> r.until(clock.get() + Duration.ofSeconds(1).toNanos(),
                e -> e == lost, () -> {
                    calls.incrementAndGet();
                    clock.addAndGet(Duration.ofMillis(300).toNanos());
                    throw lost;
                })));
        assertEquals(4, calls.get(), "attempts at 0, 300, 600 and 900 ms; none after the deadline at 1 s");
        calls.set(0);
        assertThrows(BackendException.class, () -> r.until(Long.MAX_VALUE, e -> true, () -> {
            calls.incrementAndGet();
            throw lost;
        }));
        assertEquals(1000, calls.get(), "no deadline: the policy's attempts bound it");
    }
}
