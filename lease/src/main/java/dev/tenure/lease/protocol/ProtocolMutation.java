package dev.tenure.lease.protocol;

import dev.tenure.lease.LeaseManager;

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
    RETRY_PAST_DEADLINE,
    /**
     * Only the write just sent counts as this holder's: an earlier write that timed out and landed
     * late is taken for another holder's (a renewal that landed revoked as lost; an acquisition
     * that landed waited out as someone else's).
     */
    FORGET_UNRESOLVED_WRITES,
    /** An election stops for good on a store error that is not a transport error (disk full, permissions). */
    STOP_ON_STORE_ERROR,
    /** Records are not checked against the TTL and epoch bounds, and expiry uses wrapping arithmetic. */
    NO_RECORD_BOUNDS,
    /** A renewal refused with 409/412 revokes at once, without the re-read the protocol asks for. */
    REVOKE_ON_REFUSED_RENEWAL,
    /** A contender acts when the record's TTL has passed on its clock, without the skew margin: before the record expires. */
    TAKEOVER_BEFORE_EXPIRY,
    /** A step-down writes the released record but the holder keeps acting (valid, no Releasing) until its old deadline. */
    STEP_DOWN_KEEPS_LEADING
}
