package dev.tenure.lease;

import dev.tenure.lease.testing.VirtualTime;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.protocol.LeaseRecord;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;

/**
 * Closing a {@link LeaderElection} or a {@link LeaseManager} while an acquisition is still on its
 * way to the store (its read or its conditional write held at the store's door by
 * {@link GatedBackend}): every pending {@code acquire}/{@code tryAcquire} fails at once with
 * {@link IllegalStateException}, and once the held request goes through, no record is left held by
 * this holder (it is released by a conditional write, or was never written) and no renewal is
 * ever sent. Public API in virtual time ({@link VirtualTime}); the protocol thread outlives the
 * manager here (the test owns it), so a lease kept renewed after close would show as writes.
 */
class CloseInFlightTest extends GatedLeaseTest {

    private <T> Future<T> call(Callable<T> api) {
        return callers.submit(api);
    }

    private Future<?> closing(AutoCloseable closeable) {
        return callers.submit(() -> {
            closeable.close();
            return null;
        });
    }

    private static void assertClosedFailure(Future<?> call) {
        Throwable why = failure(call);
        assertInstanceOf(IllegalStateException.class, why, String.valueOf(why));
        assertTrue(why.getMessage().contains("closed"), why.getMessage());
    }

    /** After the held request went through: no record held by {@code holder}, and a minute later no write was sent. */
    private void assertLetGo(String holder) throws InterruptedException {
        time.settle();
        stored().ifPresent(r -> assertTrue(r.released() || !r.holder().equals(holder),
                "the record must not be left held by " + holder + " after close: " + r));
        counting.reset();
        time.advance(Duration.ofMinutes(1));
        assertEquals(0, counting.writes.get(), "no renewal (or any write) after close");
        stored().ifPresent(r -> assertTrue(r.released() || !r.holder().equals(holder), "still let go: " + r));
    }

    @Test
    void closingAnElectionWhileItsReadIsInFlightLeavesNoLeaseHeld() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        LeaseManager a = manager("a");
        GatedBackend.Gate gate = gated.holdNextRead();
        LeaderElection election = a.elect("writer", recording(events));
        gate.awaitArrived();

        election.close(); // returns within its bound, the read still held
        gate.open();

        assertLetGo("a");
        assertFalse(election.isLeader());
        assertNull(events.poll(), "a closed election is never elected");
        assertEquals(Optional.empty(), election.lease());
        assertTrue(manager("b").tryAcquire("writer").isPresent(), "another replica takes the lease without waiting a TTL");
        assertEquals(Duration.ofMinutes(1), time.elapsed());
    }

    @Test
    void closingTheManagerWhileAnElectionsReadIsInFlightLeavesNoLeaseHeld() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        LeaseManager a = manager("a");
        GatedBackend.Gate gate = gated.holdNextRead();
        LeaderElection election = a.elect("writer", recording(events));
        gate.awaitArrived();

        a.close(); // returns within its bound, the request still held
        gate.open();

        assertLetGo("a");
        assertFalse(election.isLeader());
        assertNull(events.poll(), "a closed election is never elected");
        assertTrue(manager("b").tryAcquire("writer").isPresent(), "another replica takes the lease without waiting a TTL");
        assertEquals(Duration.ofMinutes(1), time.elapsed());
    }

    @Test
    void closingTheManagerWhileAnElectionsWriteIsInFlightReleasesTheLease() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        LeaseManager a = manager("a");
        GatedBackend.Gate gate = gated.holdNextWrite();
        LeaderElection election = a.elect("writer", recording(events));
        gate.awaitArrived();

        a.close(); // returns within its bound, the request still held
        gate.open();

        assertLetGo("a");
        assertTrue(stored().orElseThrow().released(), "the acquisition landed, then was released by a conditional write");
        assertFalse(election.isLeader());
        assertNull(events.poll());
    }

    @Test
    void closingTheManagerFailsAnAcquireWhoseReadIsInFlightAtOnce() throws Exception {
        LeaseManager a = manager("a");
        GatedBackend.Gate gate = gated.holdNextRead();
        Future<Lease> acquiring = call(() -> a.acquire("writer", Duration.ofMinutes(5)));
        gate.awaitArrived();

        Future<?> closed = closing(a);
        assertClosedFailure(acquiring); // while the read is still held: the caller does not wait for it
        result(closed);
        gate.open();

        assertLetGo("a");
    }

    @Test
    void closingTheManagerFailsATryAcquireWhoseWriteIsInFlightAtOnceAndReleasesWhatLands() throws Exception {
        LeaseManager a = manager("a");
        GatedBackend.Gate gate = gated.holdNextWrite();
        Future<Optional<Lease>> attempt = call(() -> a.tryAcquire("writer"));
        gate.awaitArrived();

        Future<?> closed = closing(a);
        assertClosedFailure(attempt);
        result(closed);
        gate.open();

        assertLetGo("a");
        LeaseRecord record = stored().orElseThrow();
        assertTrue(record.released(), "the write landed and was then released by a conditional write");
        assertEquals(1, record.epoch());
    }

    @Test
    void closingTheManagerFailsAnAcquireWaitingForAnotherHoldersLeaseAtOnce() throws Exception {
        Lease held = manager("b").tryAcquire("writer").orElseThrow();
        LeaseManager a = manager("a");
        long before = time.idle();
        Future<Lease> acquiring = call(() -> a.acquire("writer", Duration.ofMinutes(5)));
        time.awaitExecuted(before + 1);
        time.settle();
        assertFalse(acquiring.isDone(), "waiting for b's lease to expire");

        a.close();

        assertClosedFailure(acquiring);
        assertEquals(Duration.ZERO, time.elapsed(), "failed at close, not at its timeout");
        assertTrue(held.isValid());
        assertEquals("b", stored().orElseThrow().holder());
    }

    @Test
    void acquireAndElectAfterCloseFailAtOnce() {
        LeaseManager a = manager("a");
        a.close();
        assertThrows(IllegalStateException.class, () -> a.tryAcquire("writer"));
        assertThrows(IllegalStateException.class, () -> a.acquire("writer", Duration.ofSeconds(1)));
        assertThrows(IllegalStateException.class, () -> a.elect("writer", recording(new LinkedBlockingQueue<>())));
    }
}
