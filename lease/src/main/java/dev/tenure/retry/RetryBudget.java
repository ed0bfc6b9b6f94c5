package dev.tenure.retry;

import java.util.OptionalLong;
import java.util.random.RandomGenerator;

/**
 * The attempts left for one operation: bounded by a {@link RetryPolicy}'s attempt count AND a
 * deadline, whichever comes first. Pure (it reads no clock): callers pass their own monotonic
 * time, so a state machine driven in virtual time can use it as well as a blocking loop.
 */
public final class RetryBudget {

    private final RetryPolicy policy;
    private final long deadlineNanos;
    private int attempts = 1;

    /** A budget whose first attempt is under way; no retry is started after {@code deadlineNanos}. */
    public RetryBudget(RetryPolicy policy, long deadlineNanos) {
        this.policy = policy;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Counts a failed attempt and returns when to try again (the monotonic time after a
     * full-jitter backoff), or empty when the policy's attempts are used up or the retry would
     * start past the deadline.
     */
    public OptionalLong retryAt(long nowNanos, RandomGenerator random) {
        if (!policy.allowsAnotherAttempt(attempts)) {
            return OptionalLong.empty();
        }
        long at = saturatedAdd(nowNanos, policy.backoff(attempts, random).toNanos());
        if (at > deadlineNanos) {
            return OptionalLong.empty();
        }
        attempts++;
        return OptionalLong.of(at);
    }

    /** True once the deadline has passed. */
    public boolean expired(long nowNanos) {
        return nowNanos > deadlineNanos;
    }

    /** Attempts made so far, the first included. */
    public int attempts() {
        return attempts;
    }

    static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : r;
    }
}
