package dev.tenure.ledger;

import java.util.ArrayDeque;
import java.util.Iterator;
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
 * segment): a reader that fell behind would read it as the log. Such a segment almost always
 * changes the epoch, so the reader reads the checkpoint again after every segment whose epoch
 * differs from the rule's (once per writer term along the log) and is told it fell behind.
 */
final class LedgerReader implements Iterator<LedgerEntry> {

    private final Ledger ledger;
    private final ArrayDeque<LedgerEntry> buffered = new ArrayDeque<>();
    private long seq;
    private int index;
    private long maxEpoch;
    private boolean done;
    private LedgerException.Truncated overtaken;

    LedgerReader(Ledger ledger, Position from) {
        this.ledger = ledger;
        open(from, ledger.checkpoint());
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
            if (s.epoch() >= maxEpoch) {
                maxEpoch = s.epoch();
                for (int i = index; i < s.entries().size(); i++) {
                    buffered.add(new LedgerEntry(new Position(seq, i), s.epoch(), s.writer(), s.entries().get(i).clone()));
                }
            }
            seq++;
            index = 0;
        }
        return !buffered.isEmpty();
    }

    @Override
    public LedgerEntry next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return buffered.poll();
    }
}
