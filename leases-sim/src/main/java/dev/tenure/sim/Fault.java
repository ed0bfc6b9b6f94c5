package dev.tenure.sim;

/** Faults the simulator can inject; each is switched on by name. */
public enum Fault {
    /** Long-tailed latency: most requests take a few ms, some take hundreds. */
    LATENCY,
    /** Requests lost on the way to the store (never applied, never answered). */
    DROP,
    /** Answers lost after the store applied the request, or turned into an ambiguous error. */
    AMBIGUOUS,
    /** The store answers 409, 500 or 503 without applying. */
    ERRORS,
    /** A node is cut off from the store for a while. */
    PARTITION,
    /** A node stops the world for longer than the TTL, then resumes. */
    PAUSE,
    /** A node crashes and restarts later with a fresh machine. */
    CRASH,
    /** Node clocks run at rates within the drift bound. */
    DRIFT,
    /** Wall clocks are set minutes apart (only wall-clock expiry would notice). */
    WALL_SKEW,
    /** The holder releases now and then, handing the lease over. */
    HANDOVER,
    /**
     * Retention on the ledger: truncations at positions a consumer has read, and lagging readers,
     * interleaved with the writers' requests, so that delayed writes land in slots retention emptied.
     */
    RETENTION,
    /** The store answers a conditional PUT with 404 or 409 without applying it (a missing route, a concurrent write). */
    CONDITIONAL_ERRORS,
    /** The first request of each node incarnation leaves up to a TTL late (a cold JVM loading classes). */
    SLOW_START,
    /** A node's manager closes (releases) while its workers check validity; the node restarts later. */
    CLOSE,
    /** A write reaches the store only after its sender's request timeout, so it lands after the sender gave up on it. */
    LATE_WRITES,
    /** For a while the store refuses every request with a non-transport error (disk full). */
    STORE_REJECTS,
    /**
     * An outside writer (another tool, a node configured beyond the bounds) takes the lease by the
     * rules with a record whose TTL is out of bounds, holds it, then repairs it (writes it released).
     */
    FOREIGN_RECORD,
    /**
     * After a handover or a loss, a node contends with deadline-bound attempts ({@code acquire} with a
     * timeout, {@code tryAcquire}) instead of an election, and now and then lets go of an attempt in
     * flight (its caller interrupted, its manager closed).
     */
    BOUNDED_ACQUIRE,
    /**
     * A ledger request hangs for seconds before the client's own timeout answers it (a client whose
     * timeout is longer than the writer's retry deadline); the write may land at any moment meanwhile,
     * after the writer stopped waiting for it.
     */
    HUNG_REQUESTS,
    /**
     * The leader steps down but stays in the election ({@code LeaderElection.stepDown}): it releases
     * the lease and contends again after a random hold-off (0 to one TTL).
     */
    STEP_DOWN
}
