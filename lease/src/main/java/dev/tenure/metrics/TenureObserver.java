package dev.tenure.metrics;

import dev.tenure.lease.LeaseManagerHealth;
import dev.tenure.lease.RevocationReason;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Told what leases, ledgers and snapshots do, for metrics. Every method has a default that does
 * nothing, so an implementation overrides only what it counts. Calls come from Tenure's own threads
 * (the lease protocol thread, a ledger writer's I/O and acknowledgement threads, the caller of a
 * snapshot operation): an implementation must be thread-safe and quick, and must not block or
 * throw. Names passed in are lease, ledger and snapshot names, never holder or writer ids, so that
 * they can be used as low-cardinality tags.
 *
 * <p>Given to {@link dev.tenure.lease.LeaseManager.Builder#observer},
 * {@link dev.tenure.ledger.LedgerOptions#withObserver} and
 * {@link dev.tenure.snapshot.SnapshotOptions#withObserver}; the default is {@link #none()}.
 * {@link MicrometerObserver} is the Micrometer binding.
 */
public interface TenureObserver {

    /** The observer that does nothing: the default everywhere. */
    static TenureObserver none() {
        return None.INSTANCE;
    }

    /** What a lease request was for. */
    enum Operation {
        /** A read of the lease record (contending, watching, or learning whether an unanswered write landed). */
        READ,
        /** The conditional write that takes the lease. */
        ACQUIRE,
        /** The conditional write that extends the held lease. */
        RENEW,
        /** The conditional write of {@code released=true}. */
        RELEASE
    }

    /** How a request ended, as the store answered it. */
    enum Outcome {
        /** Done (a read that found nothing is a success too). */
        SUCCESS,
        /** A conditional write refused: another write was in place (412, 409). */
        CONFLICT,
        /** A transport failure known not to have been applied (a read, a refused connection). */
        UNAVAILABLE,
        /** A write that may or may not have been applied (a timeout after sending, a reset, a 5xx): unknown. */
        AMBIGUOUS,
        /** Refused for good: credentials, configuration, a missing bucket, an internal error. */
        REJECTED
    }

    // ---- leases --------------------------------------------------------------------------------

    /**
     * A lease manager started; {@code health} reads the state of its leases at any time (for gauges
     * of leases held and time left). Called once per manager, before any other lease call from it.
     * {@code health} is this manager's own object, the same one {@link #leaseManagerStopped} passes:
     * one observer may serve several managers, even with the same holder id, so track them by this
     * object's identity, never by holder id.
     */
    default void leaseManagerStarted(String holder, Supplier<LeaseManagerHealth> health) {
    }

    /**
     * The lease manager stopped: {@code health} is the very object its {@link #leaseManagerStarted}
     * call passed (same identity), and will only say the manager stopped from now on.
     */
    default void leaseManagerStopped(String holder, Supplier<LeaseManagerHealth> health) {
    }

    /** One request to the store about lease {@code lease} ended, after {@code latency}. */
    default void leaseRequest(String lease, Operation operation, Outcome outcome, Duration latency) {
    }

    /** This node took lease {@code lease} at {@code epoch}. */
    default void leaseAcquired(String lease, long epoch) {
    }

    /** This node released lease {@code lease}. */
    default void leaseReleased(String lease) {
    }

    /** The lease this node held ended without a release, for {@code reason}. */
    default void leaseRevoked(String lease, RevocationReason reason) {
    }

    /** An attempt to renew lease {@code lease} failed; {@code timeLeft} remain before its deadline (zero when passed). */
    default void leaseRenewalFailed(String lease, Duration timeLeft) {
    }

    // ---- ledgers -------------------------------------------------------------------------------

    /** An append was queued on a writer of {@code ledger}: one more pending until {@link #ledgerAppendDone}. */
    default void ledgerAppendQueued(String ledger) {
    }

    /**
     * A pending append ended: acknowledged (durable and readable) or failed (fenced, closed, or
     * unknown), {@code latency} after it was queued.
     */
    default void ledgerAppendDone(String ledger, boolean acknowledged, Duration latency) {
    }

    /** A segment of {@code entries} entries and {@code bytes} bytes of entries was handed to the store. */
    default void ledgerBatch(String ledger, int entries, long bytes) {
    }

    /** A writer of {@code ledger} found a newer writer's fence and stopped. */
    default void ledgerWriterFenced(String ledger) {
    }

    // ---- snapshots -----------------------------------------------------------------------------

    /** A flush uploaded {@code bytes} bytes of snapshot {@code snapshot} and swapped its manifest, in {@code took}. */
    default void snapshotPushed(String snapshot, long bytes, Duration took) {
    }

    /** A reader or writer downloaded {@code bytes} bytes of snapshot {@code snapshot} and checked them, in {@code took}. */
    default void snapshotPulled(String snapshot, long bytes, Duration took) {
    }
}

/** The observer that does nothing. */
enum None implements TenureObserver {
    INSTANCE
}
