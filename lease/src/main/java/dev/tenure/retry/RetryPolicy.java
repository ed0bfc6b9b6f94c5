package dev.tenure.retry;

import dev.tenure.backend.BackendException;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * When and how often to retry a failed request: exponential backoff with full jitter
 * ({@code random(0, min(cap, initial * multiplier^(attempt-1)))}), a cap, and a number of attempts;
 * deadlines come from the caller (a lease renewal never retries past the lease deadline).
 *
 * <p>Only {@link BackendException#retryable() transport} failures are retried. A failure that is
 * {@linkplain BackendException#ambiguous() ambiguous} is never retried blindly: the caller
 * must read back first. {@link Retrier} runs calls under a policy.
 *
 * @param initialBackoff the backoff ceiling of the first retry
 * @param maxBackoff the cap on any backoff
 * @param multiplier growth of the ceiling per attempt
 * @param maxAttempts attempts in all, the first included
 */
public record RetryPolicy(Duration initialBackoff, Duration maxBackoff, double multiplier, int maxAttempts) {

    /** Validates the numbers. */
    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0
                || multiplier < 1.0 || maxAttempts < 1) {
            throw new IllegalArgumentException("invalid retry policy: initial " + initialBackoff + ", cap " + maxBackoff
                    + ", multiplier " + multiplier + ", attempts " + maxAttempts
                    + " (need initial > 0, cap >= initial, multiplier >= 1, attempts >= 1)");
        }
    }

    /** For S3-compatible stores: 503 SlowDown asks for real backoff. 50 ms growing to 5 s, 10 attempts. */
    public static RetryPolicy s3() {
        return new RetryPolicy(Duration.ofMillis(50), Duration.ofSeconds(5), 2.0, 10);
    }

    /** For the local file-system backend: failures are rare and short. 5 ms growing to 200 ms, 5 attempts. */
    public static RetryPolicy local() {
        return new RetryPolicy(Duration.ofMillis(5), Duration.ofMillis(200), 2.0, 5);
    }

    /** For tests in virtual time: 1 ms growing to 20 ms, 20 attempts. */
    public static RetryPolicy tests() {
        return new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(20), 2.0, 20);
    }

    /** Never retries. */
    public static RetryPolicy none() {
        return new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 1);
    }

    /** True when {@code failure} may be retried without reading back first. */
    public static boolean retryableBlindly(Throwable failure) {
        return failure instanceof BackendException e && e.retryable() && !e.ambiguous();
    }

    /** The ceiling of the backoff before retry number {@code retry} (1 for the first retry). */
    public Duration ceiling(int retry) {
        double nanos = initialBackoff.toNanos() * Math.pow(multiplier, Math.max(0, retry - 1));
        return Duration.ofNanos((long) Math.min(nanos, maxBackoff.toNanos()));
    }

    /** The backoff before retry number {@code retry} (1 for the first), with full jitter drawn from {@code random}. */
    public Duration backoff(int retry, RandomGenerator random) {
        long ceiling = ceiling(retry).toNanos();
        return Duration.ofNanos(ceiling <= 0 ? 0 : random.nextLong(ceiling + 1));
    }

    /** True when another attempt is allowed after {@code attemptsMade} attempts. */
    public boolean allowsAnotherAttempt(int attemptsMade) {
        return attemptsMade < maxAttempts;
    }
}
