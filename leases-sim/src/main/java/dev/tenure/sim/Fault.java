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
    HANDOVER
}
