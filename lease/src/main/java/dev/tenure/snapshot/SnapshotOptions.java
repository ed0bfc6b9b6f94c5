package dev.tenure.snapshot;

import dev.tenure.metrics.TenureObserver;
import dev.tenure.retry.RetryPolicy;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * How a snapshot store talks to its backend.
 *
 * @param retry backoff for transport failures; an ambiguous write is never retried before it is
 *     read back
 * @param wallClockMillis the clock written into manifests as {@code writtenAtMillis}; shown to
 *     people, never compared
 * @param deadline how long one step of an operation (reading the manifest, uploading or
 *     downloading content, writing the manifest and reading it back) may retry; empty to take the
 *     backend's {@linkplain dev.tenure.backend.RemoteBackend#operationDeadline() operation deadline}
 *     (its request timeout), or none when it sets none. Transfers get one more second per MiB. An
 *     attempt in flight is never abandoned, so a step ends at the latest one request after it.
 * @param observer told of each push and pull, for metrics ({@link TenureObserver#none()} by default)
 */
public record SnapshotOptions(RetryPolicy retry, LongSupplier wallClockMillis, Optional<Duration> deadline, TenureObserver observer) {

    /** Rejects nulls and a deadline that is not positive. */
    public SnapshotOptions {
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(wallClockMillis, "wallClockMillis");
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(observer, "observer");
        if (deadline.isPresent() && (deadline.get().isNegative() || deadline.get().isZero())) {
            throw new IllegalArgumentException("a snapshot deadline must be positive, not " + deadline.get());
        }
    }

    /** These options, reporting to no observer. */
    public SnapshotOptions(RetryPolicy retry, LongSupplier wallClockMillis, Optional<Duration> deadline) {
        this(retry, wallClockMillis, deadline, TenureObserver.none());
    }

    /** The backend's deadline, these retries and this clock. */
    public SnapshotOptions(RetryPolicy retry, LongSupplier wallClockMillis) {
        this(retry, wallClockMillis, Optional.empty());
    }

    /** S3 retries ({@link RetryPolicy#s3()}), the system clock and the backend's deadline. */
    public static SnapshotOptions defaults() {
        return new SnapshotOptions(RetryPolicy.s3(), System::currentTimeMillis);
    }

    /** The same options with another retry policy. */
    public SnapshotOptions withRetry(RetryPolicy policy) {
        return new SnapshotOptions(policy, wallClockMillis, deadline, observer);
    }

    /** The same options reporting to {@code metrics} (for example a {@link dev.tenure.metrics.MicrometerObserver}). */
    public SnapshotOptions withObserver(TenureObserver metrics) {
        return new SnapshotOptions(retry, wallClockMillis, deadline, metrics);
    }

    /** The same options with this deadline per step, whatever the backend's. */
    public SnapshotOptions withDeadline(Duration perStep) {
        return new SnapshotOptions(retry, wallClockMillis, Optional.of(perStep), observer);
    }
}
