package dev.tenure.ledger;

import java.util.List;

/**
 * Tails a ledger: {@link #poll()} returns the entries committed since the last poll, applying
 * exactly the rules {@link Ledger#read readers} apply (the epoch rule, a missing segment ends what
 * is readable for now, no segment handed out before a checkpoint read confirms it, retention told
 * as {@link LedgerException.Truncated}). The follower keeps its place and the epoch rule's state
 * between polls, so a poll at the end of the log costs two requests (the next segment, missing,
 * and the checkpoint) however long the log is.
 *
 * <p><b>Resuming.</b> After applying what a poll returned, store {@link #position()} (and, to
 * resume for one request instead of replaying headers, {@link #epoch()}) with the applied state.
 * A new process resumes with {@link Ledger#follower(Position)} (one checkpoint read, plus one
 * header read per segment between the checkpoint and the position, plus one more checkpoint read)
 * or {@link Ledger#follower(Position, long)} (one checkpoint read). Either way it delivers nothing
 * twice and skips nothing acknowledged. When retention cut the stored position meanwhile, opening
 * (or polling) throws {@link LedgerException.Truncated}: what lay between {@code requested()} and
 * {@code firstReadable()} is gone; follow again from {@code firstReadable()} after recovering
 * that state another way (a snapshot, for instance).
 *
 * <p>One caller at a time: a follower is not thread-safe. It holds no thread and no resource.
 */
public final class LedgerFollower {

    private final LedgerReader reader;

    LedgerFollower(LedgerReader reader) {
        this.reader = reader;
    }

    /**
     * The entries committed after {@link #position()}, in log order; empty at the end of the log.
     * Reads at most one run (16 segments, or 8 MiB of entries): call again while it returns
     * entries to catch up. A poll that fails (a store error) changes nothing: poll again.
     *
     * @throws LedgerException.Truncated when retention cut the position this follower needs (it
     *     fell behind); every later poll throws it again
     * @throws LedgerException.Corrupt when a segment is damaged
     * @throws dev.tenure.backend.BackendException when the store keeps failing past the ledger's retry budget
     */
    public List<LedgerEntry> poll() {
        return reader.poll();
    }

    /** Where the next poll reads: every entry before it was returned (or skipped by the epoch rule). The position to store. */
    public Position position() {
        return reader.position();
    }

    /**
     * The epoch rule's state at {@link #position()}: the highest writer epoch accepted before it.
     * Store it beside the position to resume with {@link Ledger#follower(Position, long)}.
     */
    public long epoch() {
        return reader.epoch();
    }

    @Override
    public String toString() {
        return "LedgerFollower[" + position() + ", epoch " + epoch() + "]";
    }
}
