package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.testing.VirtualTime;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Fenced writes bound to a lease close themselves when it ends; the lease runs in virtual time. */
class FencedObjectsLeaseTest {

    final InMemoryBackend store = new InMemoryBackend();
    final LeaseLossFixture.RefusingStore leaseStore = new LeaseLossFixture.RefusingStore(store);
    final VirtualTime time = new VirtualTime();
    final LeaseManager manager = LeaseLossFixture.manager(time, leaseStore, "a");

    @AfterEach
    void close() {
        manager.close();
        time.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void writesBoundToALeaseStopWhenItIsRevokedAndTheStoredObjectStaysTheLastOneWritten() throws Exception {
        Lease lease = manager.acquire("writer", Duration.ofSeconds(5));
        FencedObjects objects = FencedObjects.open(store, lease);
        objects.write("data/config", bytes("one"));
        leaseStore.refuse = true; // the next renewal is refused: the lease is revoked (STORE_REJECTED)
        time.advance(Duration.ofSeconds(4));
        assertFalse(lease.isValid());
        time.settle();
        assertTrue(objects.isClosed(), "closed by the lease's loss");
        FencedWriteException.Closed closed = assertThrows(FencedWriteException.Closed.class, () -> objects.write("data/config", bytes("two")));
        assertTrue(closed.getMessage().contains("STORE_REJECTED"), closed.getMessage());
        assertArrayEquals(bytes("one"), FencedObjects.read(store, "data/config").orElseThrow().data());
    }

    @Test
    void aWriteAfterTheDeadlineIsRefusedBeforeTheLossIsNotified() throws Exception {
        // This node's clock jumps past the deadline (a paused process waking up) while the protocol
        // thread has not run yet: the lease is invalid, and nobody has been told.
        AtomicLong jump = new AtomicLong();
        LeaseClock jumping = new LeaseClock() {
            @Override
            public long nanoTime() {
                return time.nanoTime() + jump.get();
            }

            @Override
            public long wallMillis() {
                return time.wallMillis();
            }
        };
        try (LeaseManager paused = time.drive(LeaseManager.builder(store, "b").retryPolicy(RetryPolicy.tests())).clock(jumping).build()) {
            Lease lease = paused.acquire("paused", Duration.ofSeconds(5));
            FencedObjects objects = FencedObjects.open(store, lease);
            objects.write("data/paused", bytes("one"));
            jump.set(Duration.ofMinutes(1).toNanos());
            assertFalse(lease.isValid());
            assertTrue(lease.revocation().isEmpty(), "the loss is not known yet");
            assertThrows(FencedWriteException.Closed.class, () -> objects.write("data/paused", bytes("two")));
            assertArrayEquals(bytes("one"), FencedObjects.read(store, "data/paused").orElseThrow().data());
        }
    }
}
