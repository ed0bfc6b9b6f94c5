package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Versioned;
import dev.tenure.ledger.protocol.Segment;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Ledger followers (issue 13): cheap tailing with exactly the readers' rules, and the resume rule. */
class LedgerFollowerTest {

    /** No segment cache: every read is a request, the counts below are a cold process's. */
    private static final LedgerOptions UNCACHED = new LedgerOptions(1, 1 << 20, Duration.ZERO, 8, 10_000, 0, RetryPolicy.tests());

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> data(List<LedgerEntry> entries) {
        List<String> out = new ArrayList<>();
        entries.forEach(e -> out.add(new String(e.data(), StandardCharsets.UTF_8)));
        return out;
    }

    /** Writes segment {@code seq} as {@code writer} with {@code epoch}, its entries named after it. */
    private static void segment(LedgerRetentionTest.Store store, Ledger ledger, long seq, long epoch, String... entries) {
        List<byte[]> bytes = new ArrayList<>();
        for (String e : entries) {
            bytes.add(utf8(e));
        }
        store.raw().put(ledger.segmentKey(seq), new Segment(seq, epoch, "w" + epoch, "b" + seq, false, bytes).encode(),
                ConditionalPut.ifAbsent());
    }

    private static List<String> drain(LedgerFollower f) {
        List<String> out = new ArrayList<>();
        for (List<LedgerEntry> got = f.poll(); !got.isEmpty(); got = f.poll()) {
            out.addAll(data(got));
        }
        return out;
    }

    @Test
    void anEmptyPollCostsTwoRequestsHoweverLongTheLog() {
        StringBuilder report = new StringBuilder();
        for (int n : new int[] {10, 1_000, 10_000}) {
            LedgerRetentionTest.Store store = new LedgerRetentionTest.Store();
            Ledger ledger = Ledger.open(store, "tail", UNCACHED);
            for (long s = 1; s <= n; s++) {
                segment(store, ledger, s, 1, "e" + s);
            }
            LedgerFollower f = Ledger.open(store, "tail", UNCACHED).follower(Position.START);
            assertEquals(n, drain(f).size());
            assertEquals(Position.startOf(n + 1), f.position());
            store.reset();
            int polls = 5;
            for (int i = 0; i < polls; i++) {
                assertTrue(f.poll().isEmpty());
            }
            double perPoll = (double) store.total() / polls;
            assertTrue(perPoll <= 2, "an empty poll costs at most 2 requests, not " + perPoll + " on " + n + " segments");
            // What following cost before: a reader opened again at the stored position on every poll.
            store.reset();
            Ledger.open(store, "tail", UNCACHED).read(f.position()).hasNext();
            int reopen = store.total();
            // A new segment is handed out by the next poll: 3 requests (it, the missing one after it, the checkpoint).
            segment(store, ledger, n + 1, 1, "new");
            store.reset();
            assertEquals(List.of("new"), data(f.poll()));
            int oneNew = store.total();
            report.append(String.format("[ledger] follower on %,d segments: %.0f requests per empty poll (a reader reopened at"
                    + " the position: %d), %d for a poll that returns one new segment%n", n, perPoll, reopen, oneNew));
        }
        System.out.print(report);
    }

    @Test
    void theEpochRuleCarriesAcrossPollsAndAStaleSegmentAfterAFenceIsNeverHandedOut() {
        for (boolean fixOn : new boolean[] {true, false}) {
            LedgerRetentionTest.Store store = new LedgerRetentionTest.Store();
            Ledger ledger = Ledger.open(store, "epochs", UNCACHED, fixOn ? Set.of() : Set.of(RetentionFix.FOLLOWER_KEEPS_EPOCH));
            segment(store, ledger, 1, 1, "a");
            segment(store, ledger, 2, 2); // the new writer's fence
            LedgerFollower f = ledger.follower(Position.START);
            assertEquals(List.of("a"), drain(f));
            assertEquals(fixOn ? 2 : 0, f.epoch(), "the rule's state after the fence (the mutation forgets it at every poll)");
            segment(store, ledger, 3, 1, "stale"); // the deposed writer's pipelined write lands after the fence
            segment(store, ledger, 4, 2, "b");
            List<String> got = drain(f);
            if (fixOn) {
                assertEquals(List.of("b"), got, "what a reader reads");
                assertEquals(data(iterate(ledger, Position.startOf(3))), got);
            } else {
                assertEquals(List.of("stale", "b"), got, "the mutation hands out the stale segment");
            }
        }
    }

    @Test
    void aMissingSegmentStopsThePollUntilItLandsEvenWithTheNextOnePresent() {
        for (boolean fixOn : new boolean[] {true, false}) {
            LedgerRetentionTest.Store store = new LedgerRetentionTest.Store();
            Ledger ledger = Ledger.open(store, "gaps", UNCACHED, fixOn ? Set.of() : Set.of(RetentionFix.FOLLOWER_WAITS_AT_GAPS));
            segment(store, ledger, 1, 1, "a");
            segment(store, ledger, 3, 1, "c"); // pipelined: the later batch landed first
            LedgerFollower f = ledger.follower(Position.START);
            assertEquals(List.of("a"), drain(f));
            segment(store, ledger, 2, 1, "b");
            List<String> got = drain(f);
            if (fixOn) {
                assertEquals(List.of("b", "c"), got);
            } else {
                assertEquals(List.of("c"), got, "the mutation stepped over segment 2 and never delivers b");
            }
        }
    }

    @Test
    void aFollowerBehindRetentionIsToldAndResumesWhereTheErrorSays() {
        LedgerRetentionTest.Store store = new LedgerRetentionTest.Store();
        Ledger ledger = Ledger.open(store, "cut", UNCACHED);
        for (long s = 1; s <= 6; s++) {
            segment(store, ledger, s, 1, "e" + s);
        }
        LedgerFollower f = ledger.follower(Position.START);
        assertEquals(List.of("e1"), data(f.poll()).subList(0, 1));
        LedgerFollower slow = ledger.follower(Position.startOf(2));
        ledger.truncateBefore(Position.startOf(5));
        LedgerException.Truncated t = assertThrows(LedgerException.Truncated.class, slow::poll);
        assertEquals(Position.startOf(2), t.requested());
        assertEquals(Position.startOf(5), t.firstReadable());
        assertThrows(LedgerException.Truncated.class, slow::poll, "and keeps saying so");
        assertThrows(LedgerException.Truncated.class, () -> ledger.follower(Position.startOf(3)));
        assertThrows(LedgerException.Truncated.class, () -> ledger.follower(Position.startOf(3), 1));
        assertEquals(List.of("e5", "e6"), drain(ledger.follower(t.firstReadable())));
        assertEquals(List.of("e5", "e6"), drain(ledger.follower(t.firstReadable(), 0)));
    }

    @Test
    void resumingWithTheStoredEpochIsOneRequestAndAgreesWithReplayingAfterAFailover() {
        LedgerRetentionTest.Store store = new LedgerRetentionTest.Store();
        Ledger ledger = Ledger.open(store, "resume", UNCACHED);
        segment(store, ledger, 1, 1, "a");
        segment(store, ledger, 2, 1, "b");
        segment(store, ledger, 3, 3); // a failover: the new writer's fence
        LedgerFollower f = ledger.follower(Position.START);
        assertEquals(List.of("a", "b"), drain(f));
        Position stored = f.position();
        long epoch = f.epoch();
        assertEquals(Position.startOf(4), stored);
        assertEquals(3, epoch);
        segment(store, ledger, 4, 1, "zombie"); // the fenced-off writer's segment sits at the next sequence
        segment(store, ledger, 5, 3, "c");
        store.reset();
        LedgerFollower cheap = ledger.follower(stored, epoch);
        assertEquals(1, store.total(), "one checkpoint read");
        LedgerFollower replayed = ledger.follower(stored);
        assertEquals(List.of("c"), drain(cheap));
        assertEquals(List.of("c"), drain(replayed));
        assertEquals(cheap.position(), replayed.position());
        // A wrong epoch is what the rule needs: resuming from the bare position with epoch 0 would hand out the zombie's entry.
        assertEquals(List.of("zombie", "c"), drain(ledger.follower(stored, 0)));
        assertThrows(IllegalArgumentException.class, () -> ledger.follower(stored, -1));
    }

    @Test
    void aPositionBeyondTheReadableLogIsRefused() {
        LedgerRetentionTest.Store store = new LedgerRetentionTest.Store();
        Ledger ledger = Ledger.open(store, "beyond", UNCACHED);
        segment(store, ledger, 1, 1, "a");
        segment(store, ledger, 3, 1, "c"); // 2 is still in flight
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ledger.follower(Position.startOf(4)));
        assertTrue(e.getMessage().contains("segment 2 is missing"), e.getMessage());
        assertEquals(List.of("a"), drain(ledger.follower(Position.startOf(1))));
    }

    @Test
    void aPollThatFailsChangesNothing() {
        LedgerRetentionTest.Store store = new LedgerRetentionTest.Store();
        Ledger ledger = Ledger.open(store, "fails", UNCACHED);
        segment(store, ledger, 1, 1, "a");
        boolean[] failCheckpoint = {false};
        Ledger flaky = Ledger.open(new dev.tenure.backend.ForwardingAtomicBackend(store) {
            @Override
            public Optional<Versioned<byte[]>> read(String key) {
                if (failCheckpoint[0] && key.endsWith("/checkpoint")) {
                    throw BackendException.auth(key, "403 (injected)", null);
                }
                return super.read(key);
            }
        }, "fails", UNCACHED);
        LedgerFollower f = flaky.follower(Position.START);
        failCheckpoint[0] = true;
        assertThrows(BackendException.class, f::poll, "the run was read, its confirmation failed");
        assertEquals(Position.START, f.position());
        failCheckpoint[0] = false;
        assertEquals(List.of("a"), data(f.poll()));
        assertNotEquals(Position.START, f.position());
    }

    private static List<LedgerEntry> iterate(Ledger ledger, Position from) {
        List<LedgerEntry> out = new ArrayList<>();
        ledger.read(from).forEachRemaining(out::add);
        return out;
    }
}
