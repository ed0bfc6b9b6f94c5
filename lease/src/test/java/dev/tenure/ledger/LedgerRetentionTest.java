package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.ledger.protocol.Segment;
import dev.tenure.ledger.protocol.Checkpoint;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Retention (issue 11, items 3, 4 and 7): the checkpoint is the rule writers, readers and truncations key on. */
class LedgerRetentionTest {

    private static final LedgerOptions OPTIONS = new LedgerOptions(100, 1 << 20, Duration.ofMillis(1), 4, 10_000, 256, RetryPolicy.tests());
    /** No segment cache, so every read is a request and the counts below are what a cold process pays. */
    private static final LedgerOptions UNCACHED = new LedgerOptions(1, 1 << 20, Duration.ZERO, 8, 10_000, 0, RetryPolicy.tests());

    /** Counts every request and can run a hook before the first existence probe of a given key. */
    static final class Store extends ForwardingAtomicBackend {
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger exists = new AtomicInteger();
        final AtomicInteger puts = new AtomicInteger();
        final AtomicInteger deletes = new AtomicInteger();
        volatile String hookKey;
        volatile Runnable hook;

        Store() {
            super(new InMemoryBackend());
        }

        AtomicRemoteBackend raw() {
            return delegate;
        }

        private void runHook(String key) {
            Runnable h = hook;
            if (h != null && key.equals(hookKey)) {
                hook = null;
                h.run();
            }
        }

        int total() {
            return reads.get() + exists.get() + puts.get() + deletes.get();
        }

        void reset() {
            reads.set(0);
            exists.set(0);
            puts.set(0);
            deletes.set(0);
        }

        @Override
        public Optional<Versioned<byte[]>> read(String key) {
            reads.incrementAndGet();
            // The writer's machine probes segments by reading them (an exists() would cost the same request).
            runHook(key);
            return super.read(key);
        }

        @Override
        public boolean exists(String key) {
            exists.incrementAndGet();
            runHook(key);
            return super.exists(key);
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            puts.incrementAndGet();
            return super.put(key, bytes, condition);
        }

        @Override
        public void delete(String key) {
            deletes.incrementAndGet();
            super.delete(key);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> contents(Ledger ledger, Position from) {
        List<String> out = new ArrayList<>();
        ledger.read(from).forEachRemaining(e -> out.add(new String(e.data(), StandardCharsets.UTF_8)));
        return out;
    }

    private static List<String> contents(Ledger ledger) {
        return contents(ledger, ledger.firstPosition());
    }

    /** Appends {@code n} entries, one segment each (the fence is segment 1, so entry i is in segment i + 2). */
    private static List<Position> fill(Ledger ledger, long epoch, String prefix, int n) throws Exception {
        List<Position> out = new ArrayList<>();
        try (LedgerWriter w = ledger.writer(new FencingToken("writer", epoch), "w" + epoch)) {
            for (int i = 0; i < n; i++) {
                out.add(w.append(utf8(prefix + i)).get(10, TimeUnit.SECONDS));
            }
        }
        return out;
    }

    private static void put(Store store, Ledger ledger, Segment s) {
        store.raw().put(ledger.segmentKey(s.seq()), s.encode(), ConditionalPut.ifAbsent());
    }

    @Test
    void truncationDeletesWholeSegmentsBelowTheCheckpointAndWritersCarryOn() throws Exception {
        Store store = new Store();
        Ledger ledger = Ledger.open(store, "retained", OPTIONS);
        List<Position> positions = fill(ledger, 1, "e", 5);
        ledger.truncateBefore(positions.get(3));
        assertEquals(List.of("e3", "e4"), contents(Ledger.open(store, "retained", OPTIONS)));
        assertFalse(store.raw().exists(ledger.segmentKey(positions.get(0).segment())));
        fill(ledger, 2, "f", 1);
        assertEquals(List.of("e3", "e4", "f0"), contents(ledger));
    }

    // ---- item 3 --------------------------------------------------------------------------------

    @Test
    void aCutBeyondTheReadableTailIsRefusedAndNamesTheTail() throws Exception {
        Store store = new Store();
        Ledger ledger = Ledger.open(store, "beyond", UNCACHED);
        fill(ledger, 1, "e", 3); // segments 1 (fence) to 4
        // A dead writer's orphan past a gap: present, but not part of the readable log.
        put(store, ledger, new Segment(7, 1, "w1", "orphan", false, List.of(utf8("orphan"))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ledger.truncateBefore(new Position(7, 0)));
        assertTrue(e.getMessage().contains("readable log ends at segment 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ledger.truncateBefore(new Position(5, 0)), "one past the tail is refused too");
        assertEquals(Position.START, ledger.firstPosition(), "a refused cut changes nothing");
        assertEquals(List.of("e0", "e1", "e2"), contents(ledger));
        ledger.truncateBefore(new Position(4, 0)); // the tail itself may be cut at
        assertEquals(List.of("e2"), contents(ledger));

        Ledger without = Ledger.open(store, "beyond", UNCACHED, EnumSet.of(RetentionFix.TAIL_RULE));
        without.truncateBefore(new Position(7, 0));
        assertEquals(List.of("orphan"), contents(without), "without the fix the cut is accepted and the orphan becomes the log");
    }

    @Test
    void aWriterThatOpensWhileATruncationDeletesFencesAboveTheNewCheckpoint() throws Exception {
        for (boolean fixed : new boolean[] {true, false}) {
            Store store = new Store();
            Set<RetentionFix> off = fixed ? Set.of() : EnumSet.of(RetentionFix.TAIL_RULE);
            Ledger ledger = Ledger.open(store, "race", OPTIONS, off);
            List<Position> first = fill(ledger, 1, "a", 5); // segments 1 to 6
            Ledger truncator = Ledger.open(store, "race", OPTIONS, off);
            // The new writer has read the checkpoint (1) and probes segment 1 to find the tail: the
            // truncation cuts before segment 5 and deletes 1 to 4 just then.
            store.hookKey = ledger.segmentKey(1);
            store.hook = () -> truncator.truncateBefore(first.get(3));
            Ledger writerSide = Ledger.open(store, "race", OPTIONS, off);
            List<Position> acked = fill(writerSide, 2, "b", 3);
            Checkpoint cp = writerSide.checkpoint();
            // Without the tail rule in Ledger.findTail the writer is still safe: its own machine reads the
            // checkpoint again after its fence lands and fences again above the cut (writer side of item 3,
            // whose switch LedgerWriterMachineTest turns off). Two independent guards, one outcome.
            assertEquals(5, cp.low(), fixed ? "with the tail rule" : "without the tail rule");
            assertFalse(writerSide.isCut(acked.get(0).segment() - 1), "its fence, just below its first append, is not cut");
            for (Position p : acked) {
                assertFalse(cp.covers(p.segment()), "acknowledged at " + p + ", below the checkpoint " + cp.low());
            }
            assertEquals(List.of("a3", "a4", "b0", "b1", "b2"), contents(Ledger.open(store, "race", OPTIONS)));
        }
    }

    @Test
    void twoTruncationsInterleavedStepByStepLeaveTheHigherCutAndNothingBelowIt() throws Exception {
        for (long seed = 1; seed <= 30; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            Store store = new Store();
            Ledger ledger = Ledger.open(store, "two", UNCACHED);
            List<Position> ps = fill(ledger, 1, "e", 12); // segments 1 to 13
            Position lowCut = ps.get(random.nextInt(0, 6));
            Position highCut = ps.get(random.nextInt(6, 12));
            Truncation a = Ledger.open(store, "two", UNCACHED).truncation(lowCut);
            Truncation b = Ledger.open(store, "two", UNCACHED).truncation(highCut);
            Iterator<LedgerEntry> reader = Ledger.open(store, "two", UNCACHED).read(ps.get(0));
            List<String> read = new ArrayList<>();
            boolean readerDone = false;
            while (!a.done() || !b.done() || !readerDone) {
                int pick = random.nextInt(3);
                if (pick == 0 && !a.done()) {
                    a.step();
                } else if (pick == 1 && !b.done()) {
                    b.step();
                } else if (pick == 2 && !readerDone) {
                    try {
                        if (reader.hasNext()) {
                            read.add(new String(reader.next().data(), StandardCharsets.UTF_8));
                        } else {
                            readerDone = true;
                        }
                    } catch (LedgerException.Truncated t) {
                        readerDone = true;
                        assertTrue(t.firstReadable().segment() <= highCut.segment(), t.getMessage());
                    }
                }
            }
            Checkpoint cp = ledger.checkpoint();
            assertEquals(highCut.segment(), cp.low(), "seed " + seed);
            assertEquals(cp.low(), cp.clearFrom(), "seed " + seed + ": the deletes are recorded as done");
            for (long s = 1; s < cp.low(); s++) {
                assertFalse(store.raw().exists(ledger.segmentKey(s)), "seed " + seed + ": segment " + s + " below the cut");
            }
            // What the reader read is a gap-free prefix of the log, whether it finished or was overtaken.
            for (int i = 0; i < read.size(); i++) {
                assertEquals("e" + i, read.get(i), "seed " + seed);
            }
            assertEquals(contents(ledger, highCut).size(), 12 - ps.indexOf(highCut), "seed " + seed);
        }
    }

    @Test
    void aTruncationThatStopsHalfWayIsFinishedByTheNextCallEvenWithTheSamePosition() throws Exception {
        Store store = new Store();
        Ledger ledger = Ledger.open(store, "crash", UNCACHED);
        List<Position> ps = fill(ledger, 1, "e", 10); // segments 1 to 11
        Truncation crashed = ledger.truncation(ps.get(8)); // cut before segment 10
        Checkpoint before = ledger.checkpoint();
        while (ledger.checkpoint().equals(before) || store.raw().exists(ledger.segmentKey(1))) {
            crashed.step(); // the checkpoint moves, then segment 1 is deleted
        }
        crashed.step(); // ... and segment 2; then the process dies
        assertTrue(store.raw().exists(ledger.segmentKey(3)), "deletes are still owed");
        Checkpoint owed = ledger.checkpoint();
        assertEquals(10, owed.low());
        assertEquals(1, owed.clearFrom(), "the checkpoint records the deletes it owes");
        assertEquals(List.of("e8", "e9"), contents(ledger), "the log is readable meanwhile");

        ledger.truncateBefore(ps.get(8)); // a retry with the same position pays the debt
        for (long s = 1; s < 10; s++) {
            assertFalse(store.raw().exists(ledger.segmentKey(s)), "segment " + s);
        }
        assertEquals(10, ledger.checkpoint().clearFrom());
        store.reset();
        ledger.truncateBefore(ps.get(8));
        assertEquals(1, store.total(), "nothing owed any more: one read of the checkpoint");
    }

    // ---- item 4 --------------------------------------------------------------------------------

    /** 1: fence e1, 2: a (e1), 3: fence e2, 4: c (e2), 5: zombie (e1, landed after the fence), 6: d (e2). */
    private static Ledger staleAfterTheCut(Store store, Set<RetentionFix> off) throws Exception {
        Ledger ledger = Ledger.open(store, "stale", OPTIONS, off);
        fill(ledger, 1, "a", 1);
        try (LedgerWriter w = ledger.writer(new FencingToken("writer", 2), "w2")) {
            w.append(utf8("c")).get(10, TimeUnit.SECONDS);
            put(store, ledger, new Segment(5, 1, "w1", "zombie", false, List.of(utf8("zombie"))));
            assertEquals(new Position(6, 0), w.append(utf8("d")).get(10, TimeUnit.SECONDS));
        }
        assertEquals(List.of("a0", "c", "d"), contents(ledger), "before any cut the zombie is skipped");
        return ledger;
    }

    @Test
    void aStaleSegmentFirstAfterTheCutIsStillSkipped() throws Exception {
        Store store = new Store();
        Ledger ledger = staleAfterTheCut(store, Set.of());
        ledger.truncateBefore(new Position(5, 0));
        assertEquals(2, ledger.checkpoint().epoch(), "the checkpoint carries the highest epoch accepted below the cut");
        assertEquals(List.of("d"), contents(Ledger.open(store, "stale", OPTIONS)), "the zombie was never acknowledged");

        Store mutated = new Store();
        Ledger without = staleAfterTheCut(mutated, EnumSet.of(RetentionFix.CHECKPOINT_EPOCH));
        without.truncateBefore(new Position(5, 0));
        assertEquals(List.of("zombie", "d"), contents(without), "without the fix the rule restarts at 0 at the cut");
    }

    @Test
    void anOldPlainNumberCheckpointMeansEpochZeroAndTheNextTruncationCarriesTheRuleOn() throws Exception {
        Store store = new Store();
        Ledger ledger = staleAfterTheCut(store, Set.of());
        // Written by an older Tenure: the low sequence only.
        store.raw().put(ledger.checkpointKey(), utf8("3"), ConditionalPut.ifAbsent());
        for (long s = 1; s < 3; s++) {
            store.raw().delete(ledger.segmentKey(s));
        }
        assertEquals(new Checkpoint(3, 0, 3, 0), ledger.checkpoint());
        assertEquals(List.of("c", "d"), contents(ledger), "from segment 3 the rule sees e2 first, and skips the zombie");
        ledger.truncateBefore(new Position(5, 0));
        Checkpoint cp = ledger.checkpoint();
        assertEquals(5, cp.low());
        assertEquals(2, cp.epoch(), "walked from the old cut, the new checkpoint knows epoch 2");
        assertEquals(List.of("d"), contents(ledger));
    }

    @Test
    void theCheckpointRecordRoundTripsAndRejectsGarbageWithATypedError() {
        Checkpoint cp = new Checkpoint(42, 7, 3, 9);
        assertEquals(cp, Checkpoint.decode("k", cp.encode()));
        assertEquals(new Checkpoint(12, 0, 12, 0), Checkpoint.decode("k", utf8("12\n")));
        Checkpoint big = new Checkpoint(Long.MAX_VALUE, 999_999_999_999_999_999L, 1_000_000_000_000_000_000L, 0);
        assertEquals(big, Checkpoint.decode("k", big.encode()), "19-digit numbers (beyond the fast path) decode too");
        assertEquals(cp, Checkpoint.decode("k", utf8(" {\"revision\":9,\"format\":\"tenure.ledger-checkpoint/1\",\"low\":42,"
                + "\"epoch\":7,\"clearFrom\":3} ")), "another spelling of the same record");
        for (String bad : List.of("", "-3", "0", "{}", "{\"format\":\"tenure.ledger-checkpoint/1\",\"low\":\"x\"}",
                "{\"format\":\"tenure.ledger-checkpoint/1\",\"low\":2,\"epoch\":0,\"clearFrom\":5,\"revision\":1}",
                "99999999999999999999999", "not json",
                "{\"format\":\"tenure.ledger-checkpoint/1\",\"low\":042,\"epoch\":0,\"clearFrom\":5,\"revision\":1}",
                "{\"format\":\"tenure.ledger-checkpoint/1\",\"low\":99999999999999999999,\"epoch\":0,\"clearFrom\":5,\"revision\":1}")) {
            LedgerException.Corrupt e = assertThrows(LedgerException.Corrupt.class, () -> Checkpoint.decode("ledgers/x/checkpoint", utf8(bad)), bad);
            assertTrue(e.getMessage().contains("ledgers/x/checkpoint"), e.getMessage());
        }
    }

    // ---- item 7 --------------------------------------------------------------------------------

    @Test
    void readingFromACutPositionIsATypedErrorNamingTheFirstReadablePosition() throws Exception {
        for (boolean fixed : new boolean[] {true, false}) {
            Store store = new Store();
            Ledger ledger = Ledger.open(store, "behind", OPTIONS, fixed ? Set.of() : EnumSet.of(RetentionFix.TRUNCATED_ERROR));
            List<Position> ps = fill(ledger, 1, "e", 6);
            ledger.truncateBefore(ps.get(4));
            if (!fixed) {
                assertEquals(List.of("e4", "e5"), contents(ledger, ps.get(1)), "without the fix it silently starts at the checkpoint");
                continue;
            }
            LedgerException.Truncated t = assertThrows(LedgerException.Truncated.class, () -> ledger.read(ps.get(1)));
            assertEquals(ps.get(1), t.requested());
            assertEquals(new Position(ps.get(4).segment(), 0), t.firstReadable());
            assertThrows(LedgerException.Truncated.class, () -> ledger.stream(Position.START));
            assertEquals(List.of("e4", "e5"), contents(ledger, t.firstReadable()), "and resuming there works");
        }
    }

    @Test
    void anIteratorOvertakenByRetentionThrowsInsteadOfEndingQuietly() throws Exception {
        for (boolean fixed : new boolean[] {true, false}) {
            Store store = new Store();
            Set<RetentionFix> off = fixed ? Set.of() : EnumSet.of(RetentionFix.TRUNCATED_ERROR);
            Ledger ledger = Ledger.open(store, "overtaken", UNCACHED, off);
            int n = 3 * LedgerReader.READ_AHEAD;
            List<Position> ps = fill(ledger, 1, "e", n);
            Iterator<LedgerEntry> lagging = Ledger.open(store, "overtaken", UNCACHED, off).read(Position.START);
            assertEquals("e0", new String(lagging.next().data(), StandardCharsets.UTF_8));
            ledger.truncateBefore(ps.get(n - 2));
            // What the reader read ahead (and confirmed) before the cut it hands out; then it is told.
            int k = 1;
            try {
                while (lagging.hasNext()) {
                    assertEquals("e" + k, new String(lagging.next().data(), StandardCharsets.UTF_8));
                    k++;
                }
                assertFalse(fixed, "the fixed reader must not end quietly");
                assertTrue(k < n - 2, "without the fix the iterator ends as if the log ended, at e" + k);
            } catch (LedgerException.Truncated t) {
                assertTrue(fixed);
                assertTrue(k >= 1 && k < n - 2, "read e0 to e" + (k - 1) + " before the error");
                assertEquals(ps.get(k), t.requested());
                assertEquals(new Position(ps.get(n - 2).segment(), 0), t.firstReadable());
                assertThrows(LedgerException.Truncated.class, lagging::hasNext, "and keeps saying so");
            }
        }
    }

    @Test
    void aLaggingReaderNeverReadsALateWriteThatLandedWhereRetentionDeleted() throws Exception {
        for (boolean fixed : new boolean[] {true, false}) {
            Store store = new Store();
            Set<RetentionFix> off = fixed ? Set.of() : EnumSet.of(RetentionFix.CONFIRMED_READS);
            Ledger ledger = Ledger.open(store, "reused", UNCACHED, off);
            List<Position> ps = fill(ledger, 1, "e", 6); // segments 1 (fence) to 7
            Iterator<LedgerEntry> lagging = Ledger.open(store, "reused", UNCACHED, off).read(ps.get(2));
            ledger.truncateBefore(ps.get(4));
            // A delayed write of the same writer (same epoch) lands in the slot retention emptied.
            put(store, ledger, new Segment(ps.get(2).segment(), 1, "w1", "delayed", false, List.of(utf8("late"))));
            if (!fixed) {
                assertEquals("late", new String(lagging.next().data(), StandardCharsets.UTF_8),
                        "without the fix the lagging reader reads the late write where e2 was");
                continue;
            }
            LedgerException.Truncated t = assertThrows(LedgerException.Truncated.class, lagging::hasNext);
            assertEquals(ps.get(2), t.requested());
            assertEquals(List.of("e4", "e5"), contents(ledger, t.firstReadable()), "and resuming where it says reads the log");
        }
    }

    @Test
    void aGapAboveTheCheckpointStillEndsTheReadableLogQuietly() throws Exception {
        Store store = new Store();
        Ledger ledger = Ledger.open(store, "gap", UNCACHED);
        List<Position> ps = fill(ledger, 1, "e", 4); // segments 1 to 5
        put(store, ledger, new Segment(7, 1, "w1", "orphan", false, List.of(utf8("orphan"))));
        ledger.truncateBefore(ps.get(1));
        assertEquals(List.of("e1", "e2", "e3"), contents(ledger));
    }

    // ---- costs ---------------------------------------------------------------------------------

    @Test
    void requestsPerTruncationAndTheCostOfOpeningAReader() throws Exception {
        Store store = new Store();
        Ledger writer = Ledger.open(store, "costs", UNCACHED);
        fill(writer, 1, "e", 1350); // segments 1 to 1351
        StringBuilder report = new StringBuilder();
        long done = 1;
        for (int n : new int[] {10, 100, 1000}) {
            Ledger cold = Ledger.open(store, "costs", UNCACHED);
            Position cut = new Position(done + n, 0);
            store.reset();
            cold.truncateBefore(cut);
            done += n;
            assertEquals(2 * n + 4, store.total(), "checkpoint read, n + 1 segment reads, checkpoint write, n deletes, clear: " + n);
            report.append(String.format("[ledger] truncating %d segments: %d requests (%d reads, %d writes, %d deletes)%n", n,
                    store.total(), store.reads.get(), store.puts.get(), store.deletes.get()));
        }
        // A process that has just read what it cuts has the segments cached: the walk is free.
        Ledger warm = Ledger.open(store, "costs", OPTIONS.withBatching(1, 8));
        warm.read(new Position(done, 0)).forEachRemaining(e -> { });
        store.reset();
        warm.truncateBefore(new Position(done + 100, 0));
        done += 100;
        assertEquals(100 + 3, store.total(), "checkpoint read, checkpoint write, 100 deletes, clear");
        report.append(String.format("[ledger] truncating 100 segments the process has just read: %d requests%n", store.total()));
        for (int distance : new int[] {0, 10, 100}) {
            Ledger cold = Ledger.open(store, "costs", UNCACHED);
            store.reset();
            Iterator<LedgerEntry> it = cold.read(new Position(done + distance, 0));
            int atOpen = store.total();
            assertEquals(distance == 0 ? 1 : distance + 2, atOpen,
                    "a checkpoint read, then one header per segment between it and the start, then the checkpoint again");
            assertTrue(it.hasNext());
            report.append(String.format("[ledger] opening a reader %d segments above the checkpoint: %d requests%n", distance, atOpen));
        }
        System.out.print(report);
    }
}
