package dev.tenure.ledger;

import dev.tenure.metrics.TenureObserver;
import dev.tenure.retry.RetryPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * How a ledger batches and pipelines.
 *
 * @param maxBatchEntries at most this many entries per segment
 * @param maxBatchBytes at most this many bytes of entries per segment
 * @param linger how long a batch waits for more entries before it is written
 * @param window segment writes in flight at once per writer
 * @param maxQueuedEntries appends waiting to be written; beyond this {@code append} blocks and {@code tryAppend} refuses
 * @param cachedSegments immutable segments kept in memory for readers
 * @param retry backoff for transport failures
 * @param retryDeadline how long one operation (a segment write and its read-back, opening, a
 *     read) may keep retrying before it gives up with a typed error
 * @param observer told of appends, batches and fenced writers, for metrics ({@link TenureObserver#none()} by default)
 */
public record LedgerOptions(int maxBatchEntries, int maxBatchBytes, Duration linger, int window, int maxQueuedEntries,
        int cachedSegments, RetryPolicy retry, Duration retryDeadline, TenureObserver observer) {

    /** The default retry deadline: 30 s. */
    public static final Duration DEFAULT_RETRY_DEADLINE = Duration.ofSeconds(30);

    /** Options that report to no observer. */
    public LedgerOptions(int maxBatchEntries, int maxBatchBytes, Duration linger, int window, int maxQueuedEntries,
            int cachedSegments, RetryPolicy retry, Duration retryDeadline) {
        this(maxBatchEntries, maxBatchBytes, linger, window, maxQueuedEntries, cachedSegments, retry, retryDeadline, TenureObserver.none());
    }

    /** Options with the default retry deadline. */
    public LedgerOptions(int maxBatchEntries, int maxBatchBytes, Duration linger, int window, int maxQueuedEntries,
            int cachedSegments, RetryPolicy retry) {
        this(maxBatchEntries, maxBatchBytes, linger, window, maxQueuedEntries, cachedSegments, retry, DEFAULT_RETRY_DEADLINE);
    }

    /** The largest pipelining window: a new writer looks this far below the tail for gaps a dead writer left. */
    public static final int MAX_WINDOW = 64;

    /** Validates the numbers. */
    public LedgerOptions {
        Objects.requireNonNull(linger, "linger");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(retryDeadline, "retryDeadline");
        Objects.requireNonNull(observer, "observer");
        if (retryDeadline.isNegative() || retryDeadline.isZero()) {
            throw new IllegalArgumentException("invalid ledger options: the retry deadline must be positive, not " + retryDeadline);
        }
        if (maxBatchEntries < 1 || maxBatchBytes < 1 || window < 1 || window > MAX_WINDOW || maxQueuedEntries < 1 || cachedSegments < 0 || linger.isNegative()) {
            throw new IllegalArgumentException("invalid ledger options: " + maxBatchEntries + " entries, " + maxBatchBytes
                    + " bytes, linger " + linger + ", window " + window + ", queue " + maxQueuedEntries + ", cache " + cachedSegments);
        }
    }

    /** 1,000 entries or 1 MiB per segment, 2 ms linger, 8 segments in flight, 100,000 queued, 1,024 cached, S3 retries. */
    public static LedgerOptions defaults() {
        return new LedgerOptions(1000, 1 << 20, Duration.ofMillis(2), 8, 100_000, 1024, RetryPolicy.s3());
    }

    /** The same options with another batch limit and window. */
    public LedgerOptions withBatching(int entries, int windowSize) {
        return new LedgerOptions(entries, maxBatchBytes, linger, windowSize, maxQueuedEntries, cachedSegments, retry, retryDeadline, observer);
    }

    /** The same options with another queue limit. */
    public LedgerOptions withMaxQueued(int queued) {
        return new LedgerOptions(maxBatchEntries, maxBatchBytes, linger, window, queued, cachedSegments, retry, retryDeadline, observer);
    }

    /** The same options reporting to {@code metrics} (for example a {@link dev.tenure.metrics.MicrometerObserver}). */
    public LedgerOptions withObserver(TenureObserver metrics) {
        return new LedgerOptions(maxBatchEntries, maxBatchBytes, linger, window, maxQueuedEntries, cachedSegments, retry, retryDeadline, metrics);
    }

    /** The same options with another retry deadline. */
    public LedgerOptions withRetryDeadline(Duration deadline) {
        return new LedgerOptions(maxBatchEntries, maxBatchBytes, linger, window, maxQueuedEntries, cachedSegments, retry, deadline, observer);
    }
}
