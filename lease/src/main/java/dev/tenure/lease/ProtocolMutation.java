package dev.tenure.lease;

/**
 * Deliberate bugs that the simulator switches on to prove its checkers can fail. Each is a mistake
 * a known system made. Never set in production: {@link LeaseManager} has no way to set them.
 */
public enum ProtocolMutation {
    /** The holder acts until {@code sentAt + ttl} and contenders wait only {@code ttl}: no room for drift. */
    NO_SAFETY_MARGIN,
    /** Contenders judge expiry by comparing the record's wall-clock time with their own wall clock. */
    WALL_CLOCK_EXPIRY,
    /** Release deletes the record, so the next holder starts again at epoch 1. */
    DELETE_ON_RELEASE,
    /** The holder keeps acting while it retries a failed renewal, past its deadline. */
    RETRY_PAST_DEADLINE
}
