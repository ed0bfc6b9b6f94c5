package dev.tenure.lease;

/**
 * Told about leadership changes, in order, on the manager's callback thread (never the protocol
 * thread, so a slow listener cannot delay a renewal). Must not assume it is still leader when a
 * callback runs: check {@link LeaderElection#isLeader()} or the lease before each guarded action.
 *
 * <p>Order: {@code onElected} and {@code onRevoked} alternate, starting with {@code onElected}: a
 * listener that was never elected (or was revoked since) is never told it was revoked. Only
 * {@link #onElected} must be implemented, so a lambda will do.
 *
 * <p>Compatibility: listeners written against the first API override
 * {@link #onRevoked(RevocationReason)} and {@link #onStopped(RuntimeException)}; they still work,
 * since the default {@link #onRevoked(Revocation)} and {@link #onFailed(ElectionFailure)} call them.
 */
@FunctionalInterface
public interface LeaderListener {

    /**
     * This node became leader; {@code token} fences everything it writes. From the start of this
     * call {@link LeaderElection#isLeader()} is true on the calling thread; for other threads it
     * turns true when this call returns (see {@link LeaderElection#isLeader()}).
     */
    void onElected(FencingToken token);

    /**
     * This node stopped being leader without closing the election: lost to another holder, store
     * unreachable, deadline passed, store rejected ({@link Revocation#cause()} holds the error), or
     * {@link RevocationReason#RELEASED} after {@link LeaderElection#stepDown} and when the election
     * is closed while leader. By default calls {@link #onRevoked(RevocationReason)}.
     */
    default void onRevoked(Revocation revocation) {
        onRevoked(revocation.reason());
    }

    /** The reason alone, for listeners written before {@link Revocation}; does nothing by default. */
    default void onRevoked(RevocationReason reason) {
    }

    /** The record names another holder (or this one); informational. */
    default void onLeaderChanged(String holder) {
    }

    /**
     * The election itself failed: {@link ElectionFailure#stopsElection()} says whether it still
     * contends (a store refusing it keeps it contending; a corrupt record, a second election of the
     * same name, or a closed manager stops it). By default calls {@link #onStopped} when it stopped.
     */
    default void onFailed(ElectionFailure failure) {
        if (failure.stopsElection()) {
            onStopped(LeaderElection.legacy(failure));
        }
    }

    /**
     * The election stopped for good and will not contend again; {@code cause} is the
     * {@link LeaseRecordException} of a corrupt record, else the {@link ElectionFailure}. Kept for
     * listeners written before {@link #onFailed}; does nothing by default.
     */
    default void onStopped(RuntimeException cause) {
    }
}
