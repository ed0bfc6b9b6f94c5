package dev.tenure.ledger;

/**
 * The retention fixes, each of which a mutation test switches off to show that the simulator's
 * retention checker catches the bug it fixes. Never off outside tests.
 */
enum RetentionFix {
    /**
     * Issue item 3: truncation walks to its cut and refuses a cut beyond the readable tail, and
     * tail discovery looks again from the checkpoint when it found a tail below it. Off: any cut
     * is accepted and a writer that opens during a truncation can fence below the new checkpoint.
     */
    TAIL_RULE,
    /**
     * Issue item 4: the checkpoint carries the highest epoch accepted below the cut and readers
     * start the epoch rule from it. Off: readers restart the rule at 0 at the checkpoint.
     */
    CHECKPOINT_EPOCH,
    /**
     * Issue item 7: a reader behind retention gets {@link LedgerException.Truncated}. Off: its
     * iterator ends as if the log ended, and reading from a cut position starts at the checkpoint.
     */
    TRUNCATED_ERROR,
    /**
     * Slot reuse, reader side: no segment is handed out before a checkpoint read made after
     * reading it shows its slot was not cut. Off: the checkpoint is read again only after a
     * segment whose epoch differs, and a late write that landed where retention deleted, with the
     * same epoch, is read as the log.
     */
    CONFIRMED_READS,
    /**
     * Followers: a follower keeps the epoch rule's state (the highest epoch accepted) from one poll
     * to the next. Off: every poll starts the rule afresh, so a stale segment that a deposed writer
     * landed just after a fence the follower read in its previous poll is handed out.
     */
    FOLLOWER_KEEPS_EPOCH,
    /**
     * Followers: a missing segment ends what a poll hands out, even when the next one exists (a
     * pipelined writer's later batch landed first). Off: a follower that finds the next segment
     * present steps over the missing one, and never delivers what lands there.
     */
    FOLLOWER_WAITS_AT_GAPS
}
