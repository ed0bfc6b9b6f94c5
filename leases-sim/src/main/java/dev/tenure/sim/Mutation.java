package dev.tenure.sim;

import dev.tenure.lease.protocol.ProtocolMutation;
import java.util.Optional;

/** Bugs the checkers must catch: in the lease protocol, in the driver around it, in the ledger writer's protocol, and in the store. */
public enum Mutation {
    /** No safety or skew margin: drift lets two holders overlap. */
    NO_SAFETY_MARGIN(ProtocolMutation.NO_SAFETY_MARGIN),
    /** Expiry by comparing wall clocks across machines. */
    WALL_CLOCK_EXPIRY(ProtocolMutation.WALL_CLOCK_EXPIRY),
    /** Release deletes the record: epochs restart at 1. */
    DELETE_ON_RELEASE(ProtocolMutation.DELETE_ON_RELEASE),
    /** The holder keeps acting while retrying a renewal past its deadline. */
    RETRY_PAST_DEADLINE(ProtocolMutation.RETRY_PAST_DEADLINE),
    /** The store acknowledges a write before it is durable; a later crash of the store loses it. */
    ACK_BEFORE_DURABLE((ProtocolMutation) null),
    /**
     * Closing a manager sends the release without first invalidating its lease handles: a wrapper
     * in the simulator drops the machine's Releasing notification, so workers see the lease valid
     * until the release's answer comes back.
     */
    CLOSE_WITHOUT_INVALIDATE((ProtocolMutation) null),
    /** Only the write just sent counts as the holder's own: a write that timed out and landed later is taken for another's. */
    FORGET_UNRESOLVED_WRITES(ProtocolMutation.FORGET_UNRESOLVED_WRITES),
    /** An election stops for good on a non-transport store error. */
    STOP_ON_STORE_ERROR(ProtocolMutation.STOP_ON_STORE_ERROR),
    /** Records are not checked against bounds, and expiry wraps for TTLs of 9.3e12 ms and more. */
    NO_RECORD_BOUNDS(ProtocolMutation.NO_RECORD_BOUNDS),
    /** A renewal refused with 409/412 revokes at once, without reading the record back. */
    REVOKE_ON_REFUSED_RENEWAL(ProtocolMutation.REVOKE_ON_REFUSED_RENEWAL),
    /** A contender's expiry timer is armed at firstSeen + ttl, without the skew margin: it acts before the record expires. */
    TAKEOVER_BEFORE_EXPIRY(ProtocolMutation.TAKEOVER_BEFORE_EXPIRY),
    /** A step-down releases the record but the holder keeps acting as leader until its old deadline. */
    STEP_DOWN_KEEPS_LEADING(ProtocolMutation.STEP_DOWN_KEEPS_LEADING),
    /** Ledger item 1: opening ignores newer epochs it reads and does not read the epoch record again after its fence. */
    LEDGER_OPEN_IGNORES_NEWER_EPOCHS("OPEN_IGNORES_NEWER_EPOCHS"),
    /** Ledger item 2: a writer whose sequence is taken jumps, and acknowledges, checking only that segments exist. */
    LEDGER_CHECKS_EXISTENCE_ONLY("CHECKS_EXISTENCE_ONLY"),
    /** Ledger item 5: a fenced writer fails every batch in flight with Fenced, even those that landed below the fence. */
    LEDGER_FAIL_ALL_WHEN_FENCED("FAIL_ALL_WHEN_FENCED"),
    /** Ledger item 6: batch ids without a per-instance nonce, so two incarnations' ids repeat. */
    LEDGER_BATCH_IDS_WITHOUT_NONCE("BATCH_IDS_WITHOUT_NONCE"),
    /** Ledger item 14: full pipelining right after the fence, and a batch may move behind later ones. */
    LEDGER_PIPELINE_FROM_THE_FENCE("PIPELINE_FROM_THE_FENCE"),
    /**
     * Ledger item 5, writes in flight: a writer that stops fails a batch whose write is still
     * unanswered as not written, and writes a moving batch after it stopped.
     */
    LEDGER_DEFINITE_WHILE_WRITING("DEFINITE_WHILE_WRITING"),
    /**
     * Retention, slot reuse (writer side): acknowledgements and definite failures are given without a
     * checkpoint read after the reads they rest on, so a write that landed where retention deleted is
     * acknowledged below the checkpoint. Caught with {@link Fault#RETENTION} on.
     */
    LEDGER_DECIDE_WITHOUT_CHECKPOINT("DECIDE_WITHOUT_CHECKPOINT"),
    /**
     * Retention, slot reuse (reader side): readers hand out segments without a checkpoint read after
     * reading them, so a lagging reader reads a late write that landed where retention deleted.
     */
    LEDGER_UNCONFIRMED_READS("CONFIRMED_READS"),
    /** Retention item 7: a reader behind retention ends quietly, as if the log ended. */
    LEDGER_NO_TRUNCATED_ERROR("TRUNCATED_ERROR"),
    /** Followers: every poll starts the epoch rule afresh, so a deposed writer's segment first in a poll is handed out. */
    LEDGER_FOLLOWER_FORGETS_EPOCH("FOLLOWER_KEEPS_EPOCH"),
    /** Followers: a missing segment with the next one present is stepped over, and what lands there later is never delivered. */
    LEDGER_FOLLOWER_STEPS_OVER_GAPS("FOLLOWER_WAITS_AT_GAPS"),
    /**
     * Fenced writes: a writer closed (its lease lost) after an attempt whose answer was lost reports
     * "closed, not written", though that attempt may land (the review's finding of issue 13).
     */
    FENCED_CLOSED_MEANS_NOT_WRITTEN((ProtocolMutation) null);

    private final ProtocolMutation protocol;
    private final String ledgerSwitch;

    Mutation(ProtocolMutation protocol) {
        this.protocol = protocol;
        this.ledgerSwitch = null;
    }

    Mutation(String ledgerSwitch) {
        this.protocol = null;
        this.ledgerSwitch = ledgerSwitch;
    }

    /** True when the bug lives in the ledger writer, so the run needs the ledger on. */
    public boolean needsLedger() {
        return ledgerSwitch != null;
    }

    /** True when the bug lives in retention's rules, so the run needs {@link Fault#RETENTION} on. */
    public boolean needsRetention() {
        return this == LEDGER_DECIDE_WITHOUT_CHECKPOINT || this == LEDGER_UNCONFIRMED_READS || this == LEDGER_NO_TRUNCATED_ERROR;
    }

    /** The ledger writer's fix this mutation switches off, when the bug lives there. */
    public Optional<String> ledgerSwitch() {
        return Optional.ofNullable(ledgerSwitch);
    }

    /** The protocol switch, when the bug lives in the protocol. */
    public Optional<ProtocolMutation> protocol() {
        return Optional.ofNullable(protocol);
    }
}
