package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.Lease;
import dev.tenure.lease.LeaseLossFixture;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.testing.VirtualTime;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Writers bound to a lease close themselves when it ends (issue 13); the lease runs in virtual time. */
class LedgerWriterLeaseTest {

    private static final LedgerOptions OPTIONS = new LedgerOptions(100, 1 << 20, Duration.ofMillis(1), 4, 10_000, 256, RetryPolicy.tests());

    final InMemoryBackend store = new InMemoryBackend();
    final LeaseLossFixture.RefusingStore leaseStore = new LeaseLossFixture.RefusingStore(store);
    final VirtualTime time = new VirtualTime();
    final LeaseManager manager = LeaseLossFixture.manager(time, leaseStore, "a");

    @AfterEach
    void close() {
        manager.close();
        time.close();
    }

    private static List<String> contents(Ledger ledger) {
        List<String> out = new ArrayList<>();
        ledger.read(Position.START).forEachRemaining(e -> out.add(new String(e.data(), StandardCharsets.UTF_8)));
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aWriterWithoutThreadsClosesWhenItsLeaseIsRevokedAndNeverWritesAfterIt() throws Exception {
        Ledger ledger = Ledger.open(store, "orders", OPTIONS);
        Lease lease = manager.acquire("writer", Duration.ofSeconds(5));
        LedgerWriter writer = ledger.manualWriter(lease.fencingToken(), "w1").closeWhenLost(lease);
        CompletableFuture<Position> first = writer.append(bytes("one"));
        writer.pump();
        assertEquals(0, first.get(1, TimeUnit.SECONDS).index());
        CompletableFuture<Position> queued = writer.append(bytes("two"));
        leaseStore.refuse = true; // the next renewal is refused: the lease is revoked (STORE_REJECTED)
        time.advance(Duration.ofSeconds(4));
        assertTrue(!lease.isValid());
        ExecutionException failed = assertThrows(ExecutionException.class, () -> queued.get(1, TimeUnit.SECONDS));
        LedgerException.Closed closed = assertInstanceOf(LedgerException.Closed.class, failed.getCause());
        assertTrue(closed.getMessage().contains("STORE_REJECTED"), closed.getMessage());
        assertThrows(LedgerException.Closed.class, () -> writer.append(bytes("three")));
        writer.pump();
        assertEquals(List.of("one"), contents(Ledger.open(store, "orders", OPTIONS)), "nothing was written after the lease ended");
    }

    @Test
    void aThreadedWriterBoundToALeaseClosesOnReleaseAndReportsOnlyWhatIsInTheLog() throws Exception {
        Ledger ledger = Ledger.open(store, "events", OPTIONS);
        Lease lease = manager.acquire("writer", Duration.ofSeconds(5));
        LedgerWriter writer = ledger.writer(lease, "w1");
        List<CompletableFuture<Position>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            futures.add(writer.append(bytes("e" + i)));
        }
        lease.release();
        time.settle();
        List<String> acknowledged = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            try {
                futures.get(i).get(10, TimeUnit.SECONDS);
                acknowledged.add("e" + i);
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof LedgerException.Closed || e.getCause() instanceof LedgerException.Fenced,
                        "a typed failure, not " + e.getCause());
            }
        }
        assertThrows(LedgerException.Closed.class, () -> writer.append(bytes("late")));
        writer.close();
        // Everything acknowledged is in the log, and nothing else is: no append was reported wrongly either way.
        assertEquals(acknowledged, contents(Ledger.open(store, "events", OPTIONS)));
    }

    @Test
    void bindingToTheLeaseOfAnotherEpochIsRefused() throws Exception {
        Ledger ledger = Ledger.open(store, "other", OPTIONS);
        Lease lease = manager.acquire("writer", Duration.ofSeconds(5));
        LedgerWriter writer = ledger.manualWriter(new dev.tenure.lease.FencingToken("writer", 7), "w1");
        assertThrows(IllegalArgumentException.class, () -> writer.closeWhenLost(lease));
        writer.close();
    }
}
