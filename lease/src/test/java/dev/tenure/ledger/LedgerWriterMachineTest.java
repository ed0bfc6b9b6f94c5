package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.ledger.protocol.LedgerWriterMachine;
import dev.tenure.ledger.protocol.LedgerWriterMachine.Switch;
import dev.tenure.ledger.protocol.LedgerWriterMachine.Switch;
import dev.tenure.retry.RetryPolicy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the ledger writer's protocol, each a deterministic schedule driven through
 * {@link WriterRig}. Each runs its schedule twice: with the fix switched off (the bug shows) and
 * with it on (it does not), so the test is known to fail without the fix.
 */
class LedgerWriterMachineTest {

    static final LedgerOptions OPTIONS = new LedgerOptions(100, 1 << 20, Duration.ZERO, 4, 10_000, 256, RetryPolicy.tests(),
            Duration.ofSeconds(5));

    /** Writer d (epoch 5), open, past the first MAX_WINDOW sequences after its fence (one batch at a time there): full window from now on. */
    private static WriterRig.Node pastTheSlowStart(WriterRig rig, Switch... off) {
        WriterRig.Node d = rig.fenced(5, "d", off);
        d.open();
        d.settle();
        for (int i = 0; i < LedgerOptions.MAX_WINDOW; i++) {
            d.append("warm" + i);
            d.settle();
        }
        return d;
    }

    // ---- item 1: a writer paused between raising the epoch record and fencing -------------------

    private static WriterRig.Node pausedBeforeItsFence(WriterRig rig, Switch... off) {
        WriterRig.Node a = rig.fenced(5, "a", off);
        a.open();
        a.step(); // reads the epoch record
        a.step(); // raises it to 5 ... and pauses
        WriterRig.Node b = rig.fenced(6, "b");
        b.open();
        b.settle();
        b.append("b1");
        b.settle();
        b.append("b2");
        b.settle();
        assertEquals(2, b.acked.size());
        a.settle();
        a.append("a1");
        a.settle();
        return a;
    }

    @Test
    void aWriterPausedBeforeItsFenceIsFencedAndAcknowledgesNothingReadersSkip() {
        WriterRig buggy = new WriterRig(OPTIONS);
        WriterRig.Node bug = pausedBeforeItsFence(buggy, Switch.OPEN_IGNORES_NEWER_EPOCHS);
        assertTrue(bug.acked.containsKey(1L), "without the fix the stale writer acknowledges");
        assertFalse(buggy.read().stream().anyMatch(e -> e.startsWith("a1@")), "...an append readers skip");

        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node a = pausedBeforeItsFence(rig);
        assertInstanceOf(LedgerException.Fenced.class, a.stopped);
        assertTrue(a.acked.isEmpty());
        assertInstanceOf(LedgerException.Fenced.class, a.failed.get(1L));
        assertEquals(List.of("b1@2", "b2@3"), rig.read());
    }

    // ---- item 2: a jump over a newer fence ----------------------------------------------------

    private static WriterRig.Node jumpsOverAStaleSegment(WriterRig rig, Switch... off) {
        WriterRig.Node d = rig.fenced(5, "d", off);
        d.open();
        d.settle();
        assertEquals(1L, d.fence);
        d.append("d1");
        var held = d.hold(WriterRig.putAt(2));
        rig.land(2, 4, "c", "stale"); // an older writer's late segment takes d's sequence
        WriterRig.Node n = rig.fenced(6, "n");
        n.open();
        n.settle();
        n.append("n1");
        n.settle();
        d.deliver(held, false);
        d.settle();
        return d;
    }

    @Test
    void aWriterWhoseSequenceIsTakenNeverJumpsOverANewerFence() {
        WriterRig buggy = new WriterRig(OPTIONS);
        WriterRig.Node bug = jumpsOverAStaleSegment(buggy, Switch.CHECKS_EXISTENCE_ONLY);
        assertTrue(bug.acked.containsKey(1L), "without the fix the deposed writer jumps and acknowledges");
        assertFalse(buggy.read().stream().anyMatch(e -> e.startsWith("d1@")));

        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node d = jumpsOverAStaleSegment(rig);
        assertTrue(d.acked.isEmpty());
        assertInstanceOf(LedgerException.Fenced.class, d.failed.get(1L));
        assertEquals(List.of("n1@4"), rig.read()); // the stale segment after d's fence is skipped
    }

    // ---- item 5: resolving what was in flight when fenced -------------------------------------

    /** d is past its first MAX_WINDOW sequences (full window); x and y land below n's fence, z hits it. */
    private static WriterRig.Node fencedWithBatchesInFlight(WriterRig rig, boolean storeGoesDown, Switch... off) {
        WriterRig.Node d = pastTheSlowStart(rig, off);
        long x = d.append("x");
        long y = d.append("y");
        long z = d.append("z");
        assertEquals(List.of(x, y, z), List.of(65L, 66L, 67L));
        var xPut = d.hold(WriterRig.putAt(66));
        var yPut = d.hold(WriterRig.putAt(67));
        var zPut = d.hold(WriterRig.putAt(68));
        d.deliver(xPut, true); // landed, answer lost: d reads it back ...
        var xReadBack = d.hold(c -> c instanceof LedgerWriterMachine.Read);
        d.deliver(yPut, false);
        WriterRig.Node n = rig.fenced(6, "n");
        n.open();
        n.settle();
        assertEquals(68L, n.fence);
        d.deliver(zPut, false); // taken by n's fence ...
        d.step(); // ... which d reads back: fenced, with x and y still unresolved
        assertInstanceOf(LedgerException.Fenced.class, d.failed.get(z));
        if (storeGoesDown) {
            d.unreachable = true;
            d.unreachableSince = rig.now;
        }
        d.deliver(xReadBack, false);
        d.settle();
        return d;
    }

    @Test
    void whenFencedABatchThatLandedBelowTheFenceIsAcknowledgedAndOneAboveItFails() {
        WriterRig buggy = new WriterRig(OPTIONS);
        WriterRig.Node bug = fencedWithBatchesInFlight(buggy, false, Switch.FAIL_ALL_WHEN_FENCED);
        assertInstanceOf(LedgerException.Fenced.class, bug.failed.get(65L), "without the fix a durable append is failed");
        assertTrue(buggy.read().contains("x@66"), "...although every reader sees it");

        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node d = fencedWithBatchesInFlight(rig, false);
        assertEquals(66L, d.acked.get(65L));
        assertEquals(67L, d.acked.get(66L));
        assertInstanceOf(LedgerException.Fenced.class, d.failed.get(67L));
        assertInstanceOf(LedgerException.Fenced.class, d.stopped);
        List<String> seen = rig.read();
        assertTrue(seen.containsAll(List.of("x@66", "y@67")) && seen.stream().noneMatch(e -> e.startsWith("z@")), seen.toString());
    }

    @Test
    void whenFencedABatchWhoseOutcomeCannotBeReadBackIsReportedAsUnknown() {
        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node d = fencedWithBatchesInFlight(rig, true);
        assertInstanceOf(LedgerException.OutcomeUnknown.class, d.failed.get(65L), String.valueOf(d.failed));
        assertInstanceOf(LedgerException.Fenced.class, d.failed.get(67L));
        assertNull(d.acked.get(65L));
        assertTrue(d.machine.finished(), "every batch is resolved, within the retry budget");
        long sinceDown = rig.now - d.unreachableSince;
        assertTrue(sinceDown <= Duration.ofSeconds(6).toNanos(), "gave up within the deadline (and a hedge): " + sinceDown);
    }

    // ---- item 5, writes in flight: a batch failed as not written must never land later ----------

    private static final LedgerException.Closed CLOSING = new LedgerException.Closed("closed with appends in flight", null);

    /** d is stopped (closed) while its write is unanswered; the write lands after the resolution deadline. */
    private static WriterRig.Node stoppedWithAWriteUnanswered(WriterRig rig, Switch... off) {
        WriterRig.Node d = rig.fenced(5, "d", off);
        d.open();
        d.settle();
        d.append("slow");
        var slow = d.hold(WriterRig.putAt(2));
        d.accept(d.machine.stop(rig.now, CLOSING));
        d.settle(); // the resolution deadline passes with the write still unanswered
        d.deliver(slow, false); // ... and then it lands
        d.settle();
        return d;
    }

    /** d's sequence is taken by an older writer's late segment; d stops while it looks for a free one. */
    private static WriterRig.Node stoppedWhileMoving(WriterRig rig, Switch... off) {
        WriterRig.Node d = rig.fenced(5, "d", off);
        d.open();
        d.settle();
        d.append("moving");
        var put = d.hold(WriterRig.putAt(2));
        rig.land(2, 4, "c", "stale");
        d.deliver(put, false); // refused: d reads 2 back (an older epoch), then reads 3
        d.step();
        d.accept(d.machine.stop(rig.now, CLOSING));
        d.step(); // 3 is free
        if (d.pending.stream().anyMatch(WriterRig.putAt(3))) {
            var late = d.hold(WriterRig.putAt(3));
            d.settle(); // the resolution deadline passes with that write unanswered
            d.deliver(late, false);
        }
        d.settle();
        return d;
    }

    /** The promise the simulator's definite-failures checker holds the writer to. */
    private static List<String> failedAsNotWrittenYetInTheLog(WriterRig rig, WriterRig.Node d) {
        List<String> seen = rig.read();
        return d.failed.entrySet().stream()
                .filter(f -> !(f.getValue() instanceof LedgerException.OutcomeUnknown))
                .flatMap(f -> d.batches.get(f.getKey()).stream())
                .filter(entry -> seen.stream().anyMatch(e -> e.startsWith(entry + "@")))
                .toList();
    }

    @Test
    void aWriteStillUnansweredWhenTheWriterGivesUpIsAnUnknownOutcomeNotAFailure() {
        WriterRig buggy = new WriterRig(OPTIONS);
        WriterRig.Node bug = stoppedWithAWriteUnanswered(buggy, Switch.DEFINITE_WHILE_WRITING);
        assertEquals(List.of("slow"), failedAsNotWrittenYetInTheLog(buggy, bug), "without the fix a failed append lands");

        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node d = stoppedWithAWriteUnanswered(rig);
        assertInstanceOf(LedgerException.OutcomeUnknown.class, d.failed.get(1L));
        assertTrue(d.machine.finished());
        assertEquals(List.of(), failedAsNotWrittenYetInTheLog(rig, d));
    }

    @Test
    void aWriterThatStopsWhileABatchMovesWritesNothingNewAndFailsItDefinitely() {
        WriterRig buggy = new WriterRig(OPTIONS);
        WriterRig.Node bug = stoppedWhileMoving(buggy, Switch.DEFINITE_WHILE_WRITING);
        assertEquals(List.of("moving"), failedAsNotWrittenYetInTheLog(buggy, bug), "without the fix a failed append lands");

        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node d = stoppedWhileMoving(rig);
        assertInstanceOf(LedgerException.Closed.class, d.failed.get(1L), String.valueOf(d.failed));
        assertEquals(List.of(), failedAsNotWrittenYetInTheLog(rig, d));
        assertFalse(rig.read().stream().anyMatch(e -> e.startsWith("moving@")), "nothing new is written after the stop");
        assertTrue(d.machine.finished());
    }

    // ---- item 6: batch ids repeat across incarnations -----------------------------------------

    private static WriterRig.Node secondIncarnation(WriterRig rig, Switch... off) {
        // The application re-opens its writer with the same token and id; the first is still running.
        WriterRig.Node first = rig.fenced(5, "w", off);
        first.open();
        first.settle();
        WriterRig.Node second = rig.fenced(5, "w", off);
        second.open();
        second.settle();
        assertEquals(2L, second.fence);
        first.append("from-first");
        first.step(); // put at 2: taken by the second's fence
        first.step(); // read back: an equal epoch, so it moves on
        first.step(); // reads 3: free
        var firstPut = first.hold(WriterRig.putAt(3));
        second.append("from-second");
        var secondPut = second.hold(WriterRig.putAt(3));
        first.deliver(firstPut, false);
        second.deliver(secondPut, true); // refused (taken), and its answer lost: it must read back
        second.settle();
        return second;
    }

    @Test
    void aReadBackNeverTakesAnotherIncarnationsSegmentForItsOwn() {
        WriterRig buggy = new WriterRig(OPTIONS);
        WriterRig.Node bug = secondIncarnation(buggy, Switch.BATCH_IDS_WITHOUT_NONCE);
        assertEquals(3L, bug.acked.get(1L), "without the fix the second incarnation takes the first's segment for its own");
        assertTrue(buggy.read().contains("from-first@3"));

        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node second = secondIncarnation(rig);
        long at = second.acked.get(1L);
        assertTrue(rig.read().contains("from-second@" + at), rig.read().toString());
        assertTrue(at > 3);
    }

    // ---- item 14: append order when a deposed writer's late write takes a sequence ----------------

    private static List<String> lateWriteInTheNewWritersWay(WriterRig rig, Switch... off) {
        WriterRig.Node n = rig.fenced(6, "n", off);
        n.open();
        n.settle();
        n.append("n1");
        n.append("n2");
        n.append("n3");
        rig.land(2, 5, "deposed", "late"); // lands on n's next sequence before n's write
        n.settle();
        assertEquals(3, n.acked.size(), "acknowledged: " + n.acked + ", failed: " + n.failed);
        return rig.read();
    }

    @Test
    void aWritersEntriesStayInAppendOrderWhenADeposedWritersLateWriteTakesItsSequence() {
        assertEquals(List.of("n2@3", "n3@4", "n1@5"), lateWriteInTheNewWritersWay(new WriterRig(OPTIONS), Switch.PIPELINE_FROM_THE_FENCE),
                "without the fix the first batch moves behind the later ones");
        assertEquals(List.of("n1@3", "n2@4", "n3@5"), lateWriteInTheNewWritersWay(new WriterRig(OPTIONS)));
    }

    @Test
    void theWindowCountsBatchesNotYetAcknowledged() {
        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node d = pastTheSlowStart(rig);
        d.append("stuck");
        var stuck = d.hold(WriterRig.putAt(66));
        for (int i = 0; i < 10; i++) {
            d.append("more" + i);
        }
        d.settle(); // every other write lands; none can be acknowledged while the first is stuck
        long sent = d.writes;
        assertEquals(OPTIONS.window() - 1 + LedgerOptions.MAX_WINDOW + 2 /* epoch record, fence */, sent,
                "only window - 1 more writes may be sent while one is stuck");
        d.deliver(stuck, false);
        d.settle();
        assertEquals(11 + LedgerOptions.MAX_WINDOW, d.acked.size());
    }

    // ---- item 3, writer side: retention passing the fence while the writer opens ----------------

    @Test
    void aWriterWhoseFenceRetentionPassedFencesAgainAboveTheCheckpoint() {
        WriterRig rig = new WriterRig(OPTIONS);
        for (long s = 1; s <= 6; s++) {
            rig.land(s, 4, "old", "old" + s);
        }
        WriterRig.Node a = rig.fenced(5, "a");
        a.open();
        a.step(); // reads the epoch record
        a.step(); // raises it
        a.step(); // reads the checkpoint: 1
        Ledger.open(rig.store, WriterRig.LEDGER, OPTIONS).truncateBefore(new Position(5, 0));
        a.settle();
        assertNotNull(a.fence);
        assertTrue(a.fence > 5, "fenced at " + a.fence + ", below the checkpoint");
        a.append("a1");
        a.settle();
        assertTrue(rig.read().contains("a1@" + a.acked.get(1L)), rig.read().toString());
    }

    // ---- retention, slot reuse: a write that lands where retention deleted ----------------------

    /** d's write to 2 is delayed; its twin (same epoch) fills 2 and 3, a consumer cuts before 3, then d's write lands in the emptied slot. */
    private static WriterRig.Node landsWhereRetentionDeleted(WriterRig rig, Switch... off) {
        WriterRig.Node d = rig.fenced(5, "d", off);
        d.open();
        d.settle();
        d.append("mine");
        var delayed = d.hold(WriterRig.putAt(2));
        rig.land(2, 5, "twin", "theirs");
        rig.land(3, 5, "twin", "theirs-too");
        assertEquals(List.of("theirs@2", "theirs-too@3"), rig.read());
        Ledger.open(rig.store, WriterRig.LEDGER, OPTIONS).truncateBefore(new Position(3, 0));
        d.deliver(delayed, false); // IfAbsent succeeds: the slot is empty again
        d.settle();
        return d;
    }

    @Test
    void aWriteThatLandedWhereRetentionDeletedIsNeverAcknowledged() {
        WriterRig buggy = new WriterRig(OPTIONS);
        WriterRig.Node bug = landsWhereRetentionDeleted(buggy, Switch.DECIDE_WITHOUT_CHECKPOINT);
        assertEquals(2L, bug.acked.get(1L), "without the fix the write is acknowledged at 2 ...");
        assertFalse(buggy.read().stream().anyMatch(e -> e.startsWith("mine@")), "... below the checkpoint, where no reader sees it");

        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node d = landsWhereRetentionDeleted(rig);
        assertNull(d.acked.get(1L));
        assertInstanceOf(LedgerException.OutcomeUnknown.class, d.failed.get(1L), String.valueOf(d.failed));
    }

    /**
     * x (66) and y (67) land; the writer hears neither answer yet. A consumer reads them, retention cuts
     * before 68 and deletes them, and a newer writer's delayed segment lands in x's emptied slot. Then
     * x's answer comes back ambiguous: the read-back finds the newer epoch at 66, below y.
     */
    private static WriterRig.Node fencedByALateWriteBelowTheCut(WriterRig rig, Switch... off) {
        WriterRig.Node d = pastTheSlowStart(rig, off);
        d.append("x");
        d.append("y");
        var x = (LedgerWriterMachine.Put) d.hold(WriterRig.putAt(66));
        var y = (LedgerWriterMachine.Put) d.hold(WriterRig.putAt(67));
        rig.store.put(x.key(), x.bytes(), x.condition());
        rig.store.put(y.key(), y.bytes(), y.condition()); // y's answer never comes
        rig.land(68, 5, "twin", "z");
        assertTrue(rig.read().containsAll(List.of("x@66", "y@67")), "a consumer reads x and y");
        Ledger.open(rig.store, WriterRig.LEDGER, OPTIONS).truncateBefore(new Position(68, 0));
        rig.land(66, 6, "newer", "late");
        d.deliver(x, true); // refused now (66 is taken), and the answer is lost: d reads 66 back
        d.settle();
        d.deliver(y, true); // y's answer is lost too, at last: d reads 67 back
        d.settle();
        return d;
    }

    @Test
    void aBatchAboveAFenceThatMayBeALateWriteBelowTheCutIsNotFailedAsNotWritten() {
        WriterRig buggy = new WriterRig(OPTIONS);
        WriterRig.Node bug = fencedByALateWriteBelowTheCut(buggy, Switch.DECIDE_WITHOUT_CHECKPOINT);
        assertInstanceOf(LedgerException.Fenced.class, bug.failed.get(66L), "without the fix y, which a reader read, is failed as not written");

        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node d = fencedByALateWriteBelowTheCut(rig);
        assertInstanceOf(LedgerException.OutcomeUnknown.class, d.failed.get(65L), String.valueOf(d.failed));
        assertInstanceOf(LedgerException.OutcomeUnknown.class, d.failed.get(66L), String.valueOf(d.failed));
    }

    @Test
    void oneCheckpointReadConfirmsEveryAcknowledgementDecidedBeforeItWasSent() {
        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node d = pastTheSlowStart(rig);
        long readsBefore = d.reads;
        for (int i = 0; i < OPTIONS.window(); i++) {
            d.append("pipelined" + i);
        }
        // Every write lands before any answer is heard: the acknowledgements are decided together.
        List<LedgerWriterMachine.Command> puts = new java.util.ArrayList<>();
        while (d.pending.stream().anyMatch(WriterRig::isSegmentPut)) {
            puts.add(d.hold(WriterRig::isSegmentPut));
        }
        assertEquals(OPTIONS.window(), puts.size());
        puts.forEach(p -> d.deliver(p, false));
        d.settle();
        assertEquals(LedgerOptions.MAX_WINDOW + OPTIONS.window(), d.acked.size());
        assertEquals(2, d.reads - readsBefore, "the first acknowledgement waits for a checkpoint read sent at once; the "
                + (OPTIONS.window() - 1) + " decided while it was in flight share the next one");
    }

    // ---- item 8: bounded, with backoff --------------------------------------------------------

    @Test
    void writesThatAreNeverAnsweredEndInOutcomeUnknownWithinThePolicy() {
        WriterRig rig = new WriterRig(OPTIONS);
        WriterRig.Node d = rig.fenced(5, "d");
        d.open();
        d.settle();
        d.loseEveryAnswerUnapplied = true;
        d.append("lost");
        d.settle();
        assertInstanceOf(LedgerException.OutcomeUnknown.class, d.failed.get(1L));
        assertTrue(d.writes <= 2 + RetryPolicy.tests().maxAttempts(), "bounded by the policy: " + d.writes + " writes");
        assertTrue(rig.now > 0, "with backoff between attempts");
    }
}
