package dev.tenure.ledger;

import dev.tenure.ledger.protocol.Segment;
import dev.tenure.ledger.protocol.Checkpoint;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * Walks segments from a position, applying the epoch rule from the checkpoint's epoch.
 *
 * <p>A missing segment ends the readable log (a writer never acknowledges past a gap), unless
 * retention deleted it: the reader then reads the checkpoint again, and when the checkpoint has
 * moved past the segment it needed, it throws {@link LedgerException.Truncated} instead of ending
 * as if the log ended. Opening costs one checkpoint read plus one segment read (or cache hit) per
 * segment between the checkpoint and the start, whose headers decide the epoch rule's start (and
 * one more checkpoint read after them).
 *
 * <p>Retention deletes a segment only after the checkpoint moved above it, but a late write can
 * land in the emptied slot afterwards (a writer's filler or fence, a dead writer's pipelined
 * segment): a reader that fell behind would read it as the log. So no segment is handed out
 * before a checkpoint read made after reading it: while the checkpoint is at or below a slot,
 * nothing was deleted there, and what was read is the slot's first and only content. The reader
 * reads up to {@value #READ_AHEAD} segments (or to the first missing one), then the checkpoint
 * once for all of them: one more read per run of segments, not one per segment.
 */
final class LedgerReader implements Iterator<LedgerEntry> {

    /** Segments read before one checkpoint read confirms them. */
    static final int READ_AHEAD = 16;
    /** ... or fewer, once their entries add up to this many bytes (a bound on what a reader holds). */
    static final long READ_AHEAD_BYTES = 8L << 20;

    private final Ledger ledger;
    private final ArrayDeque<LedgerEntry> buffered = new ArrayDeque<>();
    private long seq;
    private int index;
    private long maxEpoch;
    private boolean done;
    private LedgerException.Truncated overtaken;
    /** The missing segment below the start position, when the readable log ends before it (0 when none). */
    private long gapBelowStart;

    LedgerReader(Ledger ledger, Position from) {
        this.ledger = ledger;
        open(from, ledger.checkpoint());
    }

    /**
     * A reader resumed at {@code from} with the epoch rule already at {@code epoch} (what a follower
     * kept): no header is replayed, so opening is one checkpoint read. The epoch is only ever raised
     * to the checkpoint's, which a correct one is never below.
     */
    LedgerReader(Ledger ledger, Position from, long epoch) {
        this.ledger = ledger;
        Checkpoint cp = ledger.checkpoint();
        if (from.segment() < cp.low() && ledger.fixed(RetentionFix.TRUNCATED_ERROR)) {
            throw new LedgerException.Truncated(ledger.name(), from, cp.first());
        }
        boolean startsInside = from.segment() >= cp.low();
        seq = startsInside ? from.segment() : cp.low();
        index = startsInside ? from.index() : 0;
        maxEpoch = startsInside ? Math.max(epoch, ledger.fixed(RetentionFix.CHECKPOINT_EPOCH) ? cp.epoch() : 0)
                : ledger.fixed(RetentionFix.CHECKPOINT_EPOCH) ? cp.epoch() : 0;
    }

    private void open(Position from, Checkpoint cp) {
        while (true) {
            boolean tell = ledger.fixed(RetentionFix.TRUNCATED_ERROR);
            if (from.segment() < cp.low() && tell) {
                throw new LedgerException.Truncated(ledger.name(), from, cp.first());
            }
            maxEpoch = ledger.fixed(RetentionFix.CHECKPOINT_EPOCH) ? cp.epoch() : 0;
            // Segments between the checkpoint and the start still decide the highest epoch: replay their headers.
            boolean moved = false;
            for (long s = cp.low(); s < from.segment(); s++) {
                Optional<Segment> segment = ledger.segment(s);
                if (segment.isEmpty()) {
                    Checkpoint now = tell ? ledger.checkpoint() : cp;
                    if (now.low() > s) {
                        cp = now; // Cut while we replayed: start over from the new checkpoint.
                        moved = true;
                        break;
                    }
                    done = true; // A gap below the start: the readable log ends before it.
                    gapBelowStart = s;
                    return;
                }
                maxEpoch = Math.max(maxEpoch, segment.get().epoch());
            }
            if (!moved && from.segment() > cp.low() && tell) {
                // The same for the headers just replayed: read the checkpoint after them; if it moved,
                // one of them may have been written after retention emptied its slot.
                Checkpoint now = ledger.checkpoint();
                if (now.low() > cp.low()) {
                    cp = now;
                    moved = true;
                }
            }
            if (moved) {
                continue;
            }
            boolean startsInside = from.segment() >= cp.low();
            seq = startsInside ? from.segment() : cp.low();
            index = startsInside ? from.index() : 0;
            return;
        }
    }

    @Override
    public boolean hasNext() {
        if (overtaken != null) {
            throw overtaken;
        }
        if (!ledger.fixed(RetentionFix.CONFIRMED_READS)) {
            return hasNextUnconfirmed();
        }
        while (buffered.isEmpty() && !done) {
            readRun();
        }
        return !buffered.isEmpty();
    }

    /**
     * One run: up to {@value #READ_AHEAD} segments from {@code seq} (or {@value #READ_AHEAD_BYTES}
     * bytes of entries, or to the first missing segment), then one checkpoint read that confirms
     * them all. Nothing changes before that read answers, so a store failure leaves the reader where
     * it was. At the end of the log (a missing segment first) it costs two requests.
     */
    private void readRun() {
        List<Segment> run = new ArrayList<>();
        boolean gap = false;
        long bytes = 0;
        for (long s = seq; run.size() < READ_AHEAD && bytes < READ_AHEAD_BYTES; s++) {
            Optional<Segment> next = ledger.segment(s);
            if (next.isEmpty()) {
                gap = true;
                break;
            }
            run.add(next.get());
            for (byte[] e : next.get().entries()) {
                bytes += e.length;
            }
        }
        // Read after the run: at or below its first slot, nothing in the run was deleted and
        // landed on again, and the gap after it (if any) is the end of the log, not a cut.
        Checkpoint cp = ledger.checkpoint();
        if (cp.covers(seq)) {
            if (ledger.fixed(RetentionFix.TRUNCATED_ERROR)) {
                overtaken = new LedgerException.Truncated(ledger.name(), new Position(seq, index), cp.first());
                throw overtaken;
            }
            done = true;
            return;
        }
        run.forEach(this::accept);
        // A gap after a run is looked at again once the run is handed out (the log may have grown
        // meanwhile): the iterator ends where the log ends when it gets there, not when it read ahead.
        done = gap && run.isEmpty();
    }

    // ---- following: a reader that comes back to the end of the log -----------------------------

    /**
     * The follower's poll: what one run hands out (possibly nothing), the reader staying at the end
     * of the log to look again next time. The epoch rule's state (the highest epoch accepted) is
     * kept from one poll to the next, exactly as one long read would keep it.
     *
     * @throws LedgerException.Truncated when retention cut the position the follower needs, now and
     *     on every later poll
     */
    List<LedgerEntry> poll() {
        if (overtaken != null) {
            throw overtaken;
        }
        if (!ledger.fixed(RetentionFix.FOLLOWER_KEEPS_EPOCH)) {
            maxEpoch = 0; // The mutation: every poll starts the epoch rule afresh.
        }
        done = false;
        if (!ledger.fixed(RetentionFix.CONFIRMED_READS)) {
            hasNextUnconfirmed();
        } else if (buffered.isEmpty()) {
            long before = seq;
            readRun();
            if (!ledger.fixed(RetentionFix.FOLLOWER_WAITS_AT_GAPS) && seq == before && ledger.segment(seq + 1).isPresent()) {
                // The mutation: a missing segment with one above it taken for a hole, and stepped over.
                seq++;
                index = 0;
            }
        }
        List<LedgerEntry> out = List.copyOf(buffered);
        buffered.clear();
        return out;
    }

    /** The missing segment below the start, when the readable log ended before the position asked for; 0 otherwise. */
    long gapBelowStart() {
        return gapBelowStart;
    }

    /** The next position the follower reads (every entry before it was handed out or skipped). */
    Position position() {
        return new Position(seq, index);
    }

    /** The epoch rule's state at {@link #position()}: the highest epoch accepted before it. */
    long epoch() {
        return maxEpoch;
    }

    /** The reader without confirmation (a mutation check only): a checkpoint read only after a change of epoch. */
    private boolean hasNextUnconfirmed() {
        while (buffered.isEmpty() && !done) {
            Optional<Segment> next = ledger.segment(seq);
            if (next.isEmpty()) {
                if (ledger.fixed(RetentionFix.TRUNCATED_ERROR)) {
                    Checkpoint cp = ledger.checkpoint();
                    if (cp.covers(seq)) {
                        overtaken = new LedgerException.Truncated(ledger.name(), new Position(seq, index), cp.first());
                        throw overtaken;
                    }
                }
                done = true; // A gap above the checkpoint: the end of the readable log.
                break;
            }
            Segment s = next.get();
            if (s.epoch() != maxEpoch && ledger.fixed(RetentionFix.TRUNCATED_ERROR)) {
                // A segment whose epoch differs from the rule's (a new writer's fence or filler, or a
                // stale segment) may have landed in a slot retention had already emptied, after the
                // reader fell behind. Such a write lands only once the checkpoint is above it: read
                // the checkpoint after the segment, so a reader behind it is told, not misled.
                Checkpoint cp = ledger.checkpoint();
                if (cp.covers(seq)) {
                    overtaken = new LedgerException.Truncated(ledger.name(), new Position(seq, index), cp.first());
                    throw overtaken;
                }
            }
            accept(s);
        }
        return !buffered.isEmpty();
    }

    /** The epoch rule: the segment at {@code seq} is read (its entries from {@code index} on) unless an older epoch follows a newer. */
    private void accept(Segment s) {
        if (s.epoch() >= maxEpoch) {
            maxEpoch = s.epoch();
            for (int i = index; i < s.entries().size(); i++) {
                buffered.add(new LedgerEntry(new Position(seq, i), s.epoch(), s.writer(), s.entries().get(i).clone()));
            }
        }
        seq++;
        index = 0;
    }

    @Override
    public LedgerEntry next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return buffered.poll();
    }
}
