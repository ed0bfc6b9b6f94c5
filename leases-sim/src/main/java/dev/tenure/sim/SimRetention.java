package dev.tenure.sim;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerEntry;
import dev.tenure.ledger.LedgerException;
import dev.tenure.ledger.Position;
import dev.tenure.ledger.Truncation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Retention in a simulation, in virtual time and on one thread: truncations at random positions
 * at or below what the consumer has read, and lagging readers, each advanced one step at a time
 * between the writers' store requests (see {@link #interleaved}) and on every {@link #tick()}.
 *
 * <p>A consumer reads the log from the start without ever skipping, as an application applying
 * it would; retention only cuts where the consumer has been (or just past the last segment it
 * finished), so every entry cut was read first. Lagging readers start at positions the consumer
 * read and move slowly; when retention overtakes one, it must be told
 * ({@link LedgerException.Truncated}) and then resumes where the error says.
 *
 * <p>The checker ({@link #check}) asks:
 * <ul>
 * <li>{@value #LOST}: every acknowledged entry is either read back at its position now, or was
 *     read there by the consumer before retention cut it;
 * <li>{@value #CONTINUITY}: every reader read a gap-free continuation (no entry anyone read lies
 *     between two consecutive reads of one reader, or between its start and its first read); two
 *     reads of a position agree; a reader never ends quietly before an entry already read by
 *     another (it must read on, or be told it was truncated);
 * <li>{@value #EPOCHS}: along the log as read, epochs never go down (a stale segment after a cut
 *     is skipped, as it was before the cut).
 * </ul>
 */
final class SimRetention {

    static final String LOST = "retention-acknowledged-lost";
    static final String CONTINUITY = "retention-continuity";
    static final String EPOCHS = "retention-epochs";

    /** What a reader saw at a position. */
    private record Seen(String entry, long epoch, String reader) {
    }

    /** One reader's history: where it started and what it read, in order; how it ended. */
    private final class Reader {
        final String id;
        final Position start;
        final List<Position> read = new ArrayList<>();
        Iterator<LedgerEntry> it;
        boolean finished;
        /** When it ended quietly: the position after its last read, and the furthest position anyone had read by then. */
        Position quietAt;
        Position furthestThen;

        Reader(String id, Position start) {
            this.id = id;
            this.start = start;
        }

        Position next() {
            if (read.isEmpty()) {
                return start;
            }
            Position last = read.get(read.size() - 1);
            return new Position(last.segment(), last.index() + 1);
        }

        /** One entry (or the end, or the error). */
        void step() {
            try {
                if (it == null) {
                    it = readers.read(start);
                }
                if (!it.hasNext()) {
                    finished = true;
                    if (this == consumer && !consumed.isEmpty()) {
                        finishedSegment = consumed.get(consumed.size() - 1).segment(); // It read to the end of the log.
                    }
                    if (!observed.isEmpty()) {
                        quietAt = next();
                        furthestThen = observed.lastKey();
                    }
                    return;
                }
                LedgerEntry e = it.next();
                observe(this, e);
            } catch (LedgerException.Truncated t) {
                finished = true;
                truncatedErrors++;
                if (t.requested().compareTo(t.firstReadable()) >= 0) {
                    violations.add(new SimulationResult.Violation(CONTINUITY, id + " was told it was truncated at " + t.requested()
                            + ", but the first readable position is " + t.firstReadable()));
                }
                if (this == consumer) {
                    consumerResume = t.firstReadable(); // Only a broken retention cuts above the consumer; the checker says so.
                } else {
                    resumeFrom.add(t.firstReadable());
                }
            } catch (BackendException transientFailure) {
                it = null; // The reader's process retries later from where it was.
                readerFailures++;
                restart(this);
            }
        }
    }

    private final AtomicRemoteBackend store;
    private final Function<AtomicRemoteBackend, Ledger> open;
    private final SplittableRandom random;
    /** The ledger the truncations and readers use: over the store, outside the writers' interleaving. */
    private final Ledger readers;
    private final TreeMap<Position, Seen> observed = new TreeMap<>();
    private final List<Reader> history = new ArrayList<>();
    private final List<Reader> lagging = new ArrayList<>();
    private final List<Position> resumeFrom = new ArrayList<>();
    private final List<SimulationResult.Violation> violations = new ArrayList<>();
    private Reader consumer;
    /** The consumer's latest reads, where truncations and lagging readers start. */
    private final List<Position> consumed = new ArrayList<>();
    /** The highest segment the consumer read to its end. */
    private long finishedSegment;
    private Position consumerResume;
    private Truncation truncation;
    private boolean stepping;
    private int readerIds;
    private int truncations;
    private int refused;
    private int failedTruncations;
    private int truncatedErrors;
    private int readerFailures;

    /**
     * @param store the simulation's ledger store (faults and all); truncations and readers use it
     * @param open opens the simulation's ledger over a store (the same name and options the writers use)
     * @param random the simulation's seeded random (split off it)
     */
    SimRetention(AtomicRemoteBackend store, Function<AtomicRemoteBackend, Ledger> open, SplittableRandom random) {
        this.store = store;
        this.open = open;
        this.random = random;
        this.readers = open.apply(store);
        this.consumer = newReader("consumer", Position.START);
    }

    /**
     * Wraps the writers' store: before each of their requests, retention and lagging readers may
     * take a few steps, so a truncation can land between a writer's reading of the checkpoint and
     * its fence, or between two of its segment writes.
     */
    AtomicRemoteBackend interleaved(AtomicRemoteBackend writers) {
        return new ForwardingAtomicBackend(writers) {
            @Override
            public Optional<Versioned<byte[]>> read(String key) {
                between();
                return super.read(key);
            }

            @Override
            public boolean exists(String key) {
                between();
                return super.exists(key);
            }

            @Override
            public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
                between();
                return super.put(key, bytes, condition);
            }

            @Override
            public void delete(String key) {
                between();
                super.delete(key);
            }

            @Override
            public void deleteConditional(String key, ConditionalDelete condition) {
                between();
                super.deleteConditional(key, condition);
            }

            @Override
            public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
                between();
                return super.uploadConditional(localPath, key, condition);
            }
        };
    }

    /** Opens the simulation's ledger over {@code s} (for the writers, over {@link #interleaved}). */
    Ledger ledger(AtomicRemoteBackend s) {
        return open.apply(s);
    }

    /** One tick of virtual time: may start a truncation or a lagging reader; every task takes a few steps. */
    void tick() {
        if (stepping) {
            return;
        }
        stepping = true;
        try {
            if (truncation == null && random.nextInt(3) == 0) {
                startTruncation();
            }
            if (random.nextInt(4) == 0 || !resumeFrom.isEmpty()) {
                startLagging();
            }
            for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
                stepSomething();
            }
        } finally {
            stepping = false;
        }
    }

    private void between() {
        if (stepping || random.nextInt(2) != 0) {
            return;
        }
        stepping = true;
        try {
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                stepSomething();
            }
        } finally {
            stepping = false;
        }
    }

    private void stepSomething() {
        int pick = random.nextInt(4);
        if (pick == 0 && truncation != null) {
            for (int i = 0, n = 1 + random.nextInt(4); i < n && truncation != null; i++) {
                stepTruncation();
            }
        } else if (pick == 1 && !lagging.isEmpty()) {
            Reader r = lagging.get(random.nextInt(lagging.size()));
            r.step();
            if (r.finished) {
                lagging.remove(r);
            }
        } else {
            consumer.step();
            if (consumer.finished && consumer.quietAt != null && truncation == null && random.nextInt(3) == 0) {
                // At the end of the log: cut just past it now, before a writer appends, as a caller
                // that got ahead of the log would (refused, since that segment is not readable yet).
                truncation = readers.truncation(new Position(finishedSegment + 1, 0));
                for (int i = 0, n = 1 + random.nextInt(8); i < n && truncation != null; i++) {
                    stepTruncation();
                }
            }
            if (consumer.finished) {
                // The consumer follows the tail: at the end of the log it opens again after the
                // segment it finished (segments are immutable, so nothing more comes in that one).
                Position again = consumerResume != null ? consumerResume
                        : consumed.isEmpty() ? consumer.next() : new Position(finishedSegment + 1, 0);
                consumerResume = null;
                consumer = newReader("consumer", again.compareTo(consumer.next()) > 0 ? again : consumer.next());
            }
        }
    }

    private void stepTruncation() {
        try {
            if (!truncation.step()) {
                truncation = null;
                truncations++;
            }
        } catch (IllegalArgumentException beyondTheTail) {
            truncation = null;
            refused++;
        } catch (BackendException storeFailure) {
            // As a process crashing half way: the next truncation pays what this one owes.
            truncation = null;
            failedTruncations++;
        }
    }

    /**
     * Cuts at a position the consumer read, or at the start of the segment after one it finished:
     * that segment may be a stale one (the consumer skipped it) or lie past the tail (refused).
     */
    private void startTruncation() {
        if (consumed.isEmpty()) {
            return;
        }
        Position p = consumed.get(random.nextInt(consumed.size()));
        boolean after = random.nextBoolean() && p.segment() <= finishedSegment;
        truncation = readers.truncation(after ? new Position(p.segment() + 1, 0) : p);
    }

    /** A reader that starts where someone was told to resume, or at a position the consumer read a while ago. */
    private void startLagging() {
        Position from;
        if (!resumeFrom.isEmpty()) {
            from = resumeFrom.remove(0);
        } else if (!consumed.isEmpty()) {
            from = consumed.get(random.nextInt(consumed.size()));
        } else {
            return;
        }
        if (lagging.size() < 4) {
            lagging.add(newReader("lagging-" + (++readerIds), from));
        }
    }

    private Reader newReader(String id, Position from) {
        Reader r = new Reader(id, from);
        history.add(r);
        return r;
    }

    private void restart(Reader r) {
        Reader again = newReader(r.id, r.next());
        if (r == consumer) {
            consumer = again;
        } else {
            lagging.remove(r);
            lagging.add(again);
        }
        r.finished = true;
    }

    private void observe(Reader r, LedgerEntry e) {
        String entry = new String(e.data(), StandardCharsets.UTF_8);
        if (r == consumer) {
            if (!consumed.isEmpty() && consumed.get(consumed.size() - 1).segment() < e.position().segment()) {
                finishedSegment = consumed.get(consumed.size() - 1).segment();
            }
            consumed.add(e.position());
            if (consumed.size() > 64) {
                consumed.remove(0);
            }
        }
        r.read.add(e.position());
        Seen before = observed.putIfAbsent(e.position(), new Seen(entry, e.epoch(), r.id));
        if (before != null && !before.entry().equals(entry) && violations.size() < 20) {
            violations.add(new SimulationResult.Violation(CONTINUITY, r.id + " read " + entry + " at " + e.position() + " where "
                    + before.reader() + " read " + before.entry()));
        }
    }

    /**
     * The checks. {@code acknowledged} maps each acknowledged entry (its bytes as UTF-8) to the
     * position its append returned. Ends the run: a final reader reads the log from the
     * checkpoint through {@code clean} (the same store with faults off).
     */
    List<SimulationResult.Violation> check(Map<String, Position> acknowledged, AtomicRemoteBackend clean) {
        List<SimulationResult.Violation> out = new ArrayList<>(violations);
        Ledger finalView = open.apply(clean);
        Position first = finalView.firstPosition();
        Reader last = newReader("final", first);
        last.it = finalView.read(first);
        while (!last.finished) {
            last.step();
        }
        for (Map.Entry<String, Position> a : acknowledged.entrySet()) {
            Seen seen = observed.get(a.getValue());
            if (seen == null || !seen.entry().equals(a.getKey())) {
                String where = a.getValue().compareTo(first) < 0 ? "retention cut it (the checkpoint is at " + first + ")"
                        : "the log holds " + (seen == null ? "nothing" : seen.entry()) + " there";
                out.add(new SimulationResult.Violation(LOST, "acknowledged " + a.getKey() + " at " + a.getValue()
                        + " was never read there, and " + where));
                break;
            }
        }
        continuity(out);
        long highest = 0;
        Position highestAt = null;
        for (Map.Entry<Position, Seen> e : observed.entrySet()) {
            if (e.getValue().epoch() < highest) {
                out.add(new SimulationResult.Violation(EPOCHS, e.getValue().reader() + " read " + e.getValue().entry() + " (epoch "
                        + e.getValue().epoch() + ") at " + e.getKey() + " after epoch " + highest + " at " + highestAt));
                break;
            }
            highest = e.getValue().epoch();
            highestAt = e.getKey();
        }
        return out;
    }

    private void continuity(List<SimulationResult.Violation> out) {
        for (Reader r : history) {
            Position from = r.start;
            for (Position p : r.read) {
                if (p.equals(from)) {
                    from = new Position(p.segment(), p.index() + 1); // the next entry: nothing lies between
                    continue;
                }
                // The first entry read at or after from, if it lies before p (one lookup, no sub-map view).
                Map.Entry<Position, Seen> s = observed.ceilingEntry(from);
                if (s != null && s.getKey().compareTo(p) < 0) {
                    out.add(new SimulationResult.Violation(CONTINUITY, r.id + " went from " + from + " to " + p + " past "
                            + s.getValue().entry() + " at " + s.getKey() + ", read by " + s.getValue().reader()));
                    return;
                }
                from = new Position(p.segment(), p.index() + 1);
            }
            if (r.quietAt != null && r.furthestThen != null && r.quietAt.compareTo(r.furthestThen) <= 0) {
                out.add(new SimulationResult.Violation(CONTINUITY, r.id + " ended quietly at " + r.quietAt + " though "
                        + observed.get(r.furthestThen).entry() + " at " + r.furthestThen + " had been read: it fell behind retention"
                        + " and was not told"));
                return;
            }
        }
    }

    /**
     * Which of {@code wanted} a reader (consumer, lagging or final) has read, wherever it read it: what
     * retention cut is in here too. Only the few asked about are kept (a set of every entry read cost
     * a tenth of a seed's CPU).
     */
    java.util.Set<String> entriesRead(java.util.Set<String> wanted) {
        java.util.Set<String> found = new java.util.HashSet<>();
        for (Seen seen : observed.values()) {
            if (wanted.contains(seen.entry())) {
                found.add(seen.entry());
            }
        }
        return found;
    }

    /** Truncations run to the end. */
    int truncations() {
        return truncations;
    }

    /** For the report: what happened, in numbers. */
    String summary() {
        return truncations + " truncations (" + refused + " refused past the tail, " + failedTruncations + " stopped by the store), "
                + truncatedErrors + " readers told they fell behind, " + readerFailures + " reader store failures, "
                + observed.size() + " positions read";
    }
}
