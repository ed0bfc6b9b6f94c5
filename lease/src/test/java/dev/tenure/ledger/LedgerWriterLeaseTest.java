package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.Lease;
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

    /** The lease's view of the store: refuses lease writes (403) while {@link #refuse} is set; the ledger uses the store directly. */
    static final class LeaseStore extends ForwardingAtomicBackend {
        volatile boolean refuse;

        LeaseStore(AtomicRemoteBackend store) {
            super(store);
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            if (refuse) {
                throw BackendException.auth(key, "403 Forbidden", null);
            }
            return super.put(key, bytes, condition);
        }
    }

    final InMemoryBackend store = new InMemoryBackend();
    final LeaseStore leaseStore = new LeaseStore(store);
    final VirtualTime time = new VirtualTime();
    final LeaseManager manager = time.drive(LeaseManager.builder(leaseStore, "a")
            .ttl(Duration.ofSeconds(10)).renewInterval(Duration.ofSeconds(3)).safetyMargin(Duration.ofSeconds(1))
            .skewMargin(Duration.ofMillis(500)).requestTimeout(Duration.ofMillis(100)).retryPolicy(RetryPolicy.tests())).build();

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
