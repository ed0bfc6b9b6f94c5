package dev.tenure.retry;

import dev.tenure.backend.BackendException;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The one place blocking retry loops live: resilience4j's {@link Retry} with a {@link RetryPolicy}'s
 * backoff, bounded by the policy's attempts AND a deadline per call, so no loop spins without
 * backoff and none runs for ever.
 *
 * <ul>
 *   <li>{@link #read}: an idempotent call; only non-ambiguous transport failures are retried.
 *   <li>{@link #resolve}: one round of a read-then-write protocol step (read the state, decide,
 *       write conditionally). A lost answer or a precondition failure is retried by running the
 *       whole step again, which reads back first; when the budget runs out after an ambiguous
 *       failure, the outcome is unknown and the caller's typed error says so.
 *   <li>{@link #until}: a call with its caller's own retry rule and deadline, for a caller whose
 *       deadline spans several calls (a snapshot step and its read-backs) or whose rule is neither
 *       of the above (an unconditional write of immutable bytes may be sent again after any
 *       transport failure).
 * </ul>
 */
public final class Retrier {

    private final String name;
    private final RetryPolicy policy;
    private final long budgetNanos;
    private final LongSupplier nanoClock;
    private final RandomGenerator random;

    /**
     * @param deadline how long one call may keep retrying, from its start
     * @param nanoClock monotonic time (injected: tests drive it)
     * @param random jitter; must be safe for every thread that calls
     */
    public Retrier(String name, RetryPolicy policy, Duration deadline, LongSupplier nanoClock, RandomGenerator random) {
        this.name = Objects.requireNonNull(name, "name");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.budgetNanos = deadline.toNanos();
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.random = Objects.requireNonNull(random, "random");
        if (budgetNanos <= 0) {
            throw new IllegalArgumentException("a retry deadline must be positive, not " + deadline);
        }
    }

    /** Runs an idempotent call, retrying transient failures that cannot have changed anything; the last failure is thrown. */
    public <T> T read(Supplier<T> call) {
        return run(call, RetryPolicy::retryableBlindly);
    }

    /**
     * Runs a read-then-write step until it returns, retrying (the whole step, which reads back
     * first) after transport failures, ambiguous or not, and after precondition failures. When the
     * attempts or the deadline run out: the last failure is thrown if it was definite; if it was
     * ambiguous, {@code unknown} builds the caller's outcome-unknown error from a message and it.
     */
    public <T> T resolve(Supplier<T> step, BiFunction<String, BackendException, RuntimeException> unknown) {
        try {
            return run(step, e -> e instanceof BackendException b && (b.retryable() || b.is(BackendException.Kind.PRECONDITION_FAILED)));
        } catch (BackendException e) {
            if (e.ambiguous()) {
                throw unknown.apply(name + ": gave up with the last write's outcome unknown: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * Runs {@code call} until it returns, retrying the failures {@code retryable} accepts, with the
     * policy's backoff, while the policy's attempts allow and until {@code deadlineNanos} on this
     * retrier's clock ({@link Long#MAX_VALUE} for none): no wait reaches past it and no retry starts
     * after it. This retrier's own deadline does not apply. The last failure is thrown as it is;
     * the caller says what giving up means.
     */
    public <T> T until(long deadlineNanos, Predicate<Throwable> retryable, Supplier<T> call) {
        return run(call, Objects.requireNonNull(retryable, "retryable"), deadlineNanos);
    }

    private <T> T run(Supplier<T> call, Predicate<Throwable> retryable) {
        return run(call, retryable, RetryBudget.saturatedAdd(nanoClock.getAsLong(), budgetNanos));
    }

    private <T> T run(Supplier<T> call, Predicate<Throwable> retryable, long deadline) {
        // The first attempt needs no retry machinery: most calls succeed at once, and building a
        // resilience4j Retry per call was most of a ledger read's CPU. A failure is handed to the
        // same loop as before, as its first attempt, so retries, backoff and jitter are unchanged.
        RuntimeException first;
        try {
            return call.get();
        } catch (RuntimeException e) {
            first = e;
        }
        boolean[] replayed = {false};
        Supplier<T> again = () -> {
            if (!replayed[0]) {
                replayed[0] = true;
                throw first;
            }
            return call.get();
        };
        return retrying(again, retryable, deadline);
    }

    private <T> T retrying(Supplier<T> call, Predicate<Throwable> retryable, long deadline) {
        // The wait before a retry never reaches past the deadline, and no retry starts after it.
        // Saturating: a deadline of Long.MAX_VALUE (none) minus a negative nanoTime must not wrap to no wait at all.
        IntervalBiFunction<Object> interval = (attempt, either) -> Math.max(0, Math.min(policy.backoff(attempt, random).toMillis(),
                RetryBudget.saturatedAdd(deadline, -Math.max(nanoClock.getAsLong(), -Long.MAX_VALUE)) / 1_000_000));
        RetryConfig config = RetryConfig.<Object>custom()
                .maxAttempts(policy.maxAttempts())
                .intervalBiFunction(interval)
                .retryOnException(e -> retryable.test(e) && nanoClock.getAsLong() < deadline)
                .failAfterMaxAttempts(false)
                .build();
        return Retry.decorateSupplier(Retry.of(name, config), call).get();
    }
}
