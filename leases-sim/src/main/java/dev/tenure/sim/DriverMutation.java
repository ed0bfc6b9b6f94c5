package dev.tenure.sim;

/**
 * Deliberate bugs in the lease driver and its I/O batching that the driver simulation switches on
 * to prove its checkers can fail. Each switches off one rule of the production code (reached by a
 * private lookup; {@code LeaseManager} has no way to set them).
 */
public enum DriverMutation {
    /**
     * A batch runner whose thread was interrupted (its pool shut down with {@code shutdownNow}) goes
     * on starting the calls queued behind it: calls leave after the pool was stopped.
     */
    RUNNER_IGNORES_INTERRUPT,
    /**
     * Handles are not invalidated when a release is decided, only when its answer comes back: a
     * worker acts on the old lease while the released record may already be another node's.
     */
    RELEASE_BEFORE_INVALIDATE,
    /**
     * The driver does not look again while calls wait for a runner: on a fast store, where one runner
     * takes many calls, a call queued behind one that hangs waits for the hang (or for the next
     * call to come) while pool threads are free.
     */
    NO_STALL_CHECK,
    /**
     * Cancelling an acquisition's future neither lets go of the attempt nor releases what it took:
     * the lease is taken and renewed for nobody.
     */
    CANCEL_KEEPS_ATTEMPT,
    /**
     * The driver's stall check re-arms whether or not calls wait: the protocol thread wakes every
     * millisecond for nothing, for as long as the manager lives.
     */
    STALL_CHECK_FOREVER,
    /**
     * {@code LeaderElection.isLeader()} does not ask the term's lease (its deadline, a release): a
     * node paused or cut off past its deadline still says it leads.
     */
    LEADER_IGNORES_LEASE,
    /**
     * A flush of the batch that finds its I/O pool shut down keeps the calls queued: the runners
     * {@code shutdownNow} dropped never give their count back, and the stall check finds the calls
     * waiting every millisecond for as long as the process lives (the bug this simulation found).
     */
    SHUTDOWN_KEEPS_CALLS
}
