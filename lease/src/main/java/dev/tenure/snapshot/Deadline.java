package dev.tenure.snapshot;

import dev.tenure.backend.BackendException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * When one step of a snapshot operation (reading the manifest, uploading or downloading content,
 * writing the manifest with its read-backs) must stop retrying, or never. Without it a store that
 * accepts connections and never answers held {@code snapshot info} for the retry policy's 10
 * attempts times the 30 s request timeout, plus backoff: about 309 s.
 */
final class Deadline {

    private final LongSupplier nanoClock;
    private final Duration budget;
    private final long endNanos;
    private final String why;

    private Deadline(LongSupplier nanoClock, Duration budget, String why) {
        this.nanoClock = nanoClock;
        this.budget = budget;
        this.why = why;
        this.endNanos = budget == null ? 0 : nanoClock.getAsLong() + budget.toNanos();
    }

    /**
     * A deadline {@code budget} from now, or none when empty.
     *
     * @param why where the budget comes from, for the message
     */
    static Deadline start(LongSupplier nanoClock, Optional<Duration> budget, String why) {
        return new Deadline(nanoClock, budget.orElse(null), why);
    }

    /** True once the deadline has passed; never for no deadline. */
    boolean expired() {
        return budget != null && nanoClock.getAsLong() - endNanos >= 0;
    }

    /** The deadline on its clock, for {@link dev.tenure.retry.Retrier#until}; {@link Long#MAX_VALUE} for none. */
    long endNanos() {
        return budget == null ? Long.MAX_VALUE : endNanos;
    }

    /**
     * The typed error that ends a step at its deadline: TRANSPORT, so the caller may try again
     * later, ambiguous when {@code last} was.
     */
    BackendException exceeded(String snapshot, String step, BackendException last) {
        return BackendException.transport(last.key().orElse(null), last.ambiguous(), "snapshot " + snapshot + ": " + step
                + " did not succeed within its deadline of " + budget.toMillis() + " ms (" + why + "), retries included; the last"
                + " attempt failed: " + last.getMessage(), last);
    }
}
