package dev.tenure.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RetryPolicy policy = new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(80), 2.0, 5);

    @Test
    void theCeilingGrowsExponentiallyUpToTheCap() {
        assertEquals(Duration.ofMillis(10), policy.ceiling(1));
        assertEquals(Duration.ofMillis(20), policy.ceiling(2));
        assertEquals(Duration.ofMillis(40), policy.ceiling(3));
        assertEquals(Duration.ofMillis(80), policy.ceiling(4));
        assertEquals(Duration.ofMillis(80), policy.ceiling(30));
    }

    @Test
    void fullJitterSpreadsBackoffsOverTheWholeRange() {
        SplittableRandom random = new SplittableRandom(1);
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long b = policy.backoff(3, random).toNanos();
            assertTrue(b >= 0 && b <= Duration.ofMillis(40).toNanos());
            min = Math.min(min, b);
            max = Math.max(max, b);
        }
        assertTrue(min < Duration.ofMillis(2).toNanos() && max > Duration.ofMillis(38).toNanos(), min + " .. " + max);
    }

    @Test
    void onlyNonAmbiguousTransportFailuresAreRetriedBlindly() {
        assertTrue(RetryPolicy.retryableBlindly(BackendException.transport("k", false, "503 SlowDown", null)));
        assertFalse(RetryPolicy.retryableBlindly(BackendException.transport("k", true, "timeout after sending", null)));
        assertFalse(RetryPolicy.retryableBlindly(BackendException.preconditionFailed("k", "412")));
        assertFalse(RetryPolicy.retryableBlindly(BackendException.auth("k", "403", null)));
        assertFalse(RetryPolicy.retryableBlindly(BackendException.config("k", "bad", null)));
    }

    @Test
    void aRetrierWithThePolicyRetriesTransportFailuresAndStopsAtOtherKinds() {
        RetryPolicy fast = new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(2), 2.0, 4);
        AtomicInteger calls = new AtomicInteger();
        String result = retrier("test", fast).read(() -> {
            if (calls.incrementAndGet() < 3) {
                throw BackendException.transport("k", false, "503", null);
            }
            return "ok";
        });
        assertEquals("ok", result);
        assertEquals(3, calls.get());
        AtomicInteger auth = new AtomicInteger();
        assertThrows(BackendException.class, () -> retrier("auth", fast).read(() -> {
            auth.incrementAndGet();
            throw BackendException.auth("k", "403", null);
        }));
        assertEquals(1, auth.get(), "an auth failure is never retried");
        AtomicInteger ambiguous = new AtomicInteger();
        assertThrows(BackendException.class, () -> retrier("ambiguous", fast).read(() -> {
            ambiguous.incrementAndGet();
            throw BackendException.transport("k", true, "reset after sending", null);
        }));
        assertEquals(1, ambiguous.get(), "an ambiguous failure must be read back, not retried blindly");
    }

    private static Retrier retrier(String name, RetryPolicy policy) {
        return new Retrier(name, policy, Duration.ofMinutes(1), System::nanoTime, new SplittableRandom(name.hashCode()));
    }

    @Test
    void invalidPoliciesAreRefusedWithTheirNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(Duration.ofMillis(100), Duration.ofMillis(10), 2.0, 3));
        assertTrue(e.getMessage().contains("cap >= initial"), e.getMessage());
    }
}
