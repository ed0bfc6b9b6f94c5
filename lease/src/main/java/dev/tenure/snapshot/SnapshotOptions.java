package dev.tenure.snapshot;

import dev.tenure.retry.RetryPolicy;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * How a snapshot store talks to its backend.
 *
 * @param retry backoff for transport failures; an ambiguous write is never retried before it is
 *     read back
 * @param wallClockMillis the clock written into manifests as {@code writtenAtMillis}; shown to
 *     people, never compared
 */
public record SnapshotOptions(RetryPolicy retry, LongSupplier wallClockMillis) {

    /** Rejects nulls. */
    public SnapshotOptions {
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(wallClockMillis, "wallClockMillis");
    }

    /** S3 retries ({@link RetryPolicy#s3()}) and the system clock. */
    public static SnapshotOptions defaults() {
        return new SnapshotOptions(RetryPolicy.s3(), System::currentTimeMillis);
    }

    /** The same options with another retry policy. */
    public SnapshotOptions withRetry(RetryPolicy policy) {
        return new SnapshotOptions(policy, wallClockMillis);
    }
}
