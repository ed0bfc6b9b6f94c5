package dev.tenure.lease;

/**
 * Told about leadership changes, in order, on the manager's callback thread (never the protocol
 * thread, so a slow listener cannot delay a renewal). Must not assume it is still leader when a
 * callback runs: check {@link LeaderElection#isLeader()} or the lease before each guarded action.
 */
public interface LeaderListener {

    /** This node became leader; {@code token} fences everything it writes. */
    void onElected(FencingToken token);

    /** This node stopped being leader without closing the election. */
    void onRevoked(RevocationReason reason);

    /** The record names another holder (or this one); informational. */
    default void onLeaderChanged(String holder) {
    }

    /**
     * The election stopped for good and will not contend again: the stored record is corrupt or out
     * of bounds ({@link LeaseRecordException}, an operator must look at it), or the election could
     * not start ({@link IllegalStateException}). Store failures never stop an election.
     */
    default void onStopped(RuntimeException cause) {
    }
}
