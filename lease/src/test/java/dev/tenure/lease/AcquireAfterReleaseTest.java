package dev.tenure.lease;

import dev.tenure.lease.testing.VirtualTime;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.protocol.LeaseRecord;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Taking a lease again right after this manager released it, while the release write is still
 * on its way to the store: {@code acquire}, {@code tryAcquire} and {@code elect} wait for that
 * write to end and then contend as usual, instead of giving up at once. Runs the public API in
 * virtual time ({@link VirtualTime}); the release write is held at the store's door by
 * {@link GatedBackend} until the test lets it through. Nothing sleeps: the test waits on latches
 * and on the protocol thread. Only {@link Lease#release()} waits in real time, for its bound of
 * twice the request timeout (200 ms), when the test holds its write.
 */
class AcquireAfterReleaseTest extends GatedLeaseTest {

    /**
     * Calls {@code api} on another thread and returns once its request has reached the protocol
     * thread. Only valid while nothing else can reach that thread (a write held at the gate, time
     * standing still), so the next task it runs is this call's.
     */
    private <T> Future<T> callAndAwaitArrival(Callable<T> api) throws InterruptedException {
        long before = time.idle();
        Future<T> call = callers.submit(api);
        time.awaitExecuted(before + 1);
        return call;
    }

    @Test
    void acquireRightAfterReleaseReturnedWaitsForTheReleaseWriteThenTakesTheLeaseAtTheNextEpoch() throws Exception {
        LeaseManager a = manager("a");
        Lease first = a.tryAcquire("writer").orElseThrow();
        GatedBackend.Gate gate = gated.holdNextRelease();
        first.release(); // gives up waiting after its bound; the write is still held at the gate
        gate.awaitArrived();
        assertFalse(first.isValid());
        assertFalse(stored().orElseThrow().released(), "the release has not landed yet");
        counting.reset();

        Future<Lease> again = callAndAwaitArrival(() -> a.acquire("writer", Duration.ofSeconds(5)));
        assertFalse(again.isDone(), "acquire waits for this node's own release instead of giving up");
        gate.open();

        Lease second = result(again);
        assertEquals(new FencingToken("writer", 2), second.fencingToken(),
                "taking the lease again after a release is a change of holder: the epoch rises");
        assertTrue(second.isValid());
        assertFalse(first.isValid());
        assertEquals(Duration.ZERO, time.elapsed(), "a released record is taken at once: no TTL was waited out");
        assertEquals(1, counting.reads.get(), "after the release landed: one read");
        assertEquals(2, counting.writes.get(), "the release write, then one conditional write");
        LeaseRecord record = stored().orElseThrow();
        assertEquals("a", record.holder());
        assertEquals(2, record.epoch());
        assertFalse(record.released());
    }

    @Test
    void tryAcquireWhileTheReleaseIsStillBeingWrittenWaitsForItAndTakesTheLease() throws Exception {
        LeaseManager a = manager("a");
        Lease first = a.tryAcquire("writer").orElseThrow();
        GatedBackend.Gate gate = gated.holdNextRelease();
        Future<?> releasing = callers.submit(() -> {
            first.release();
            return null;
        });
        gate.awaitArrived();

        Future<Optional<Lease>> attempt = callAndAwaitArrival(() -> a.tryAcquire("writer"));
        assertFalse(attempt.isDone(), "the one attempt waits for this node's own release write");
        gate.open();

        assertEquals(2, result(attempt).orElseThrow().fencingToken().epoch());
        result(releasing);
        assertEquals(Duration.ZERO, time.elapsed());
    }

    @Test
    void tryAcquireWhoseReleaseGetsNoAnswerWithinTheRequestTimeoutReturnsEmptyAndNeverGuesses() throws Exception {
        LeaseManager a = manager("a");
        a.tryAcquire("writer").orElseThrow().release();
        Lease first = a.tryAcquire("writer").orElseThrow();
        assertEquals(2, first.fencingToken().epoch());
        GatedBackend.Gate gate = gated.holdNextRelease();
        first.release();
        gate.awaitArrived();

        Future<Optional<Lease>> attempt = callAndAwaitArrival(() -> a.tryAcquire("writer"));
        // The release write gets no answer within the request timeout: it ends as ambiguous, and the
        // attempt then reads a record that still names this node as holder, unreleased. It does not
        // take that record on a guess: it returns empty.
        time.advance(REQUEST_TIMEOUT);
        assertEquals(Optional.empty(), result(attempt));
        assertFalse(stored().orElseThrow().released());

        gate.open(); // the release lands after all
        gate.awaitLanded();
        assertTrue(stored().orElseThrow().released());
        Lease again = a.tryAcquire("writer").orElseThrow();
        assertEquals(3, again.fencingToken().epoch());
    }

    @Test
    void acquireWhoseTimeoutEndsWhileTheReleaseIsStillInFlightTimesOutAtItsDeadline() throws Exception {
        LeaseManager a = manager("a");
        Lease first = a.tryAcquire("writer").orElseThrow();
        GatedBackend.Gate gate = gated.holdNextRelease();
        first.release();
        gate.awaitArrived();

        Future<Lease> again = callAndAwaitArrival(() -> a.acquire("writer", Duration.ofMillis(50)));
        time.advance(Duration.ofMillis(49));
        assertFalse(again.isDone(), "still within its timeout");
        time.advance(Duration.ofMillis(1));
        assertInstanceOf(TimeoutException.class, failure(again));
        assertEquals(Duration.ofMillis(50), time.elapsed());
        gate.open();
        gate.awaitLanded();
        assertEquals(2, a.acquire("writer", Duration.ofSeconds(1)).fencingToken().epoch());
    }

    @Test
    void electWhileTheReleaseIsStillInFlightIsElectedOnceItLands() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        LeaderListener listener = recording(events);
        LeaseManager a = manager("a");
        Lease first = a.tryAcquire("writer").orElseThrow();
        GatedBackend.Gate gate = gated.holdNextRelease();
        first.release();
        gate.awaitArrived();

        long before = time.idle();
        LeaderElection election = a.elect("writer", listener);
        time.awaitExecuted(before + 1);
        assertNull(events.poll(), "no revocation: the election waits for the release");
        gate.open();

        assertEquals("elected writer@2", events.poll(10, TimeUnit.SECONDS));
        // Another thread sees isLeader() once onElected has returned, not while it runs.
        assertTrue(election.awaitLeadership(java.time.Duration.ofSeconds(10)).isPresent());
        election.close();
        assertTrue(stored().orElseThrow().released());
        assertEquals(2, stored().orElseThrow().epoch());
    }

    @Test
    void electRightAfterAConfirmedReleaseIsElectedAtTheNextEpoch() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        LeaseManager a = manager("a");
        a.tryAcquire("writer").orElseThrow().release();
        try (LeaderElection election = a.elect("writer", recording(events))) {
            assertEquals("elected writer@2", events.poll(10, TimeUnit.SECONDS));
            // Another thread sees isLeader() once onElected has returned, not while it runs.
            assertTrue(election.awaitLeadership(java.time.Duration.ofSeconds(10)).isPresent());
        }
    }

    @Test
    void closingAReleasedHandleAgainNeverReleasesTheLeaseTakenAfterIt() throws Exception {
        LeaseManager a = manager("a");
        Lease first = a.tryAcquire("writer").orElseThrow();
        first.release();
        Lease second = a.tryAcquire("writer").orElseThrow();
        assertEquals(2, second.fencingToken().epoch());

        first.close(); // try-with-resources closing a handle that was already released
        first.release();

        assertTrue(second.isValid());
        second.checkValid();
        assertFalse(stored().orElseThrow().released(), "the new lease is still held");
        assertEquals(2, stored().orElseThrow().epoch());
    }

    @Test
    void acquiringAHeldLeaseAgainReturnsTheSameHandleAndRenewalsKeepItValid() throws Exception {
        LeaseManager a = manager("a");
        Lease held = a.tryAcquire("writer").orElseThrow();
        assertSame(held, a.tryAcquire("writer").orElseThrow());
        assertSame(held, a.acquire("writer", Duration.ofSeconds(1)));
        time.advance(Duration.ofSeconds(20));
        assertTrue(held.isValid(), "renewals extend the one handle there is");
        held.release();
        assertTrue(stored().orElseThrow().released());
    }

    @Test
    void closingTheManagerEndsAnAcquisitionWaitingForARelease() throws Exception {
        LeaseManager a = manager("a");
        Lease first = a.tryAcquire("writer").orElseThrow();
        GatedBackend.Gate gate = gated.holdNextRelease();
        first.release();
        gate.awaitArrived();
        Future<Lease> again = callAndAwaitArrival(() -> a.acquire("writer", Duration.ofSeconds(5)));

        a.close();

        Throwable why = failure(again);
        assertInstanceOf(IllegalStateException.class, why);
        assertTrue(why.getMessage().contains("closed"), why.getMessage());
    }
}
