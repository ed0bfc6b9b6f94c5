package dev.tenure.lease.protocol;

import static dev.tenure.lease.protocol.MachineHarness.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.FencingToken;
import dev.tenure.lease.LeaseRecordException;
import dev.tenure.lease.RevocationReason;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.lease.protocol.LeaseMachine.Acquired;
import dev.tenure.lease.protocol.LeaseMachine.NotAcquired;
import dev.tenure.lease.protocol.LeaseMachine.Renewed;
import dev.tenure.lease.protocol.LeaseMachine.Revoked;
import dev.tenure.lease.protocol.MachineHarness.Node;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every transition of the lease protocol, in virtual time, against a real in-memory store. */
class LeaseMachineTest {

    private final MachineHarness h = new MachineHarness();

    private Node holding(String holder) {
        Node n = h.node(holder);
        h.tryAcquire(n);
        assertInstanceOf(Acquired.class, n.events.get(n.events.size() - 1), n.events.toString());
        return n;
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    @Test
    void acquiringAFreeLeaseCostsOneReadAndOneConditionalWrite() {
        Node a = h.node("a");
        h.tryAcquire(a);
        Acquired acquired = a.last(Acquired.class).orElseThrow();
        assertEquals(new FencingToken("writer", 1), acquired.token());
        assertEquals(1, h.reads);
        assertEquals(1, h.writes);
        assertEquals(900, millis(acquired.validUntilNanos()), "valid until sentAt + ttl - safetyMargin");
        assertTrue(a.valid());
        LeaseRecord stored = h.stored();
        assertEquals("a", stored.holder());
        assertEquals(1000, stored.ttlMillis());
        assertFalse(stored.released());
    }

    @Test
    void aRenewalIsExactlyOneConditionalWriteAndExtendsFromItsSendTime() {
        Node a = holding("a");
        h.reads = 0;
        h.writes = 0;
        h.advance(ms(300));
        assertEquals(0, h.reads, "a renewal never reads first");
        assertEquals(1, h.writes);
        assertEquals(1200, millis(a.last(Renewed.class).orElseThrow().validUntilNanos()));
        h.advance(ms(10_000));
        assertTrue(a.valid());
        assertEquals(1, h.stored().epoch(), "renewals keep the epoch");
        assertEquals(34, h.writes, "one write per renew interval (300 ms to 10,200 ms), nothing else");
        assertEquals(0, h.reads);
    }

    @Test
    void aRenewalAnsweredJustBeforeTheDeadlineCountsFromWhenItWasSent() {
        Node a = holding("a");
        h.advanceHoldingRequests(ms(300));
        assertEquals(1, h.inFlight(), "the renewal is in flight");
        h.advanceHoldingRequests(ms(180));
        h.deliver();
        assertEquals(1200, millis(a.last(Renewed.class).orElseThrow().validUntilNanos()));
        assertTrue(a.valid());
    }

    @Test
    void aRenewalAnsweredAfterTheDeadlineNeverExtendsTheLease() {
        Node a = holding("a");
        h.advanceHoldingRequests(ms(300));
        h.advanceHoldingRequests(ms(650));
        assertFalse(a.valid(), "at 950 ms the lease ended at 900 ms, answer or not");
        Revoked revoked = a.last(Revoked.class).orElseThrow();
        assertEquals(RevocationReason.STORE_UNREACHABLE, revoked.reason(), "no answer came within the request timeout");
        h.settle();
        assertFalse(a.valid(), "the late answer must not revive the lease");
        assertTrue(a.last(Renewed.class).isEmpty());
    }

    @Test
    void aPauseLongerThanTheLeaseEndsItWithDeadlinePassed() {
        Node a = holding("a");
        h.pause(ms(950));
        h.advance(ms(0));
        assertFalse(a.valid());
        assertEquals(RevocationReason.DEADLINE_PASSED, a.last(Revoked.class).orElseThrow().reason());
    }

    @Test
    void theHolderExpiresItselfBeforeAnyContenderMayTakeOver() {
        Node a = holding("a");
        a.crashed = true;
        Node b = h.node("b");
        h.tryAcquire(b);
        assertInstanceOf(NotAcquired.class, b.events.get(b.events.size() - 1));
        h.advance(ms(1049));
        h.tryAcquire(b);
        assertTrue(b.last(Acquired.class).isEmpty(), "b saw the record at 0 ms; it may take it at 1050 ms, not before");
        h.advance(ms(1));
        h.tryAcquire(b);
        assertEquals(2, b.last(Acquired.class).orElseThrow().token().epoch());
        assertTrue(millis(a.machine.validUntil()) <= 900, "a stopped acting at 900 ms, before b could take over");
    }

    @Test
    void aContenderThatFirstSeesTheRecordLateWaitsAWholeTtlFromThen() {
        Node a = holding("a");
        a.crashed = true;
        h.advance(ms(800));
        Node b = h.node("b");
        h.tryAcquire(b);
        h.advance(ms(1049));
        h.tryAcquire(b);
        assertTrue(b.last(Acquired.class).isEmpty(), "expiry is judged on b's own clock from when b first saw the record");
        h.advance(ms(1));
        h.tryAcquire(b);
        assertTrue(b.last(Acquired.class).isPresent());
    }

    @Test
    void theTtlComesFromTheRecordNotFromTheContendersSettings() {
        Node a = holding("a");
        a.crashed = true;
        Node impatient = h.node("impatient", ms(200), ms(50), ms(10), ms(50));
        h.tryAcquire(impatient);
        h.advance(ms(300));
        h.tryAcquire(impatient);
        assertTrue(impatient.last(Acquired.class).isEmpty(), "a short local TTL must not cut the holder's TTL short");
        h.advance(ms(750));
        h.tryAcquire(impatient);
        assertEquals(2, impatient.last(Acquired.class).orElseThrow().token().epoch());
    }

    @Test
    void aReleasedLeaseIsTakenAtOnceAndTheEpochNeverResets() {
        Node a = holding("a");
        a.handle(a.machine.release(h.now));
        h.settle();
        assertFalse(a.valid());
        LeaseRecord released = h.stored();
        assertTrue(released.released());
        assertEquals(1, released.epoch(), "release keeps the epoch: the record is never deleted");
        Node b = h.node("b");
        h.reads = 0;
        h.writes = 0;
        h.tryAcquire(b);
        assertEquals(2, b.last(Acquired.class).orElseThrow().token().epoch());
        assertEquals(1, h.reads);
        assertEquals(1, h.writes, "a released lease costs one read and one write");
        b.handle(b.machine.release(h.now));
        h.settle();
        h.tryAcquire(a);
        assertEquals(3, a.last(Acquired.class).orElseThrow().token().epoch());
    }

    @Test
    void anAmbiguousRenewalThatWasAppliedIsRecognisedByItsNonce() {
        Node a = holding("a");
        h.advanceHoldingRequests(ms(300));
        h.applyButLoseAnswer();
        h.settle();
        assertTrue(a.valid());
        assertEquals(1200, millis(a.last(Renewed.class).orElseThrow().validUntilNanos()));
        assertEquals(2, h.stored().revision());
    }

    @Test
    void anAmbiguousRenewalThatWasNotAppliedIsRetriedBeforeTheDeadline() {
        Node a = holding("a");
        h.advanceHoldingRequests(ms(300));
        h.fail(BackendException.transport("leases/writer", true, "reset", null));
        h.advance(ms(100));
        assertTrue(a.valid());
        assertTrue(a.last(Renewed.class).isPresent(), a.events.toString());
        assertEquals(2, h.stored().revision());
    }

    @Test
    void anAmbiguousAcquisitionThatWasAppliedIsRecognisedByItsNonce() {
        Node a = h.node("a");
        a.handle(a.machine.acquire(h.now, LeaseMachine.Mode.ONCE, 0));
        h.deliver();
        h.applyButLoseAnswer();
        h.settle();
        assertEquals(1, a.last(Acquired.class).orElseThrow().token().epoch());
        assertEquals(1, h.stored().revision(), "the acquisition was written once");
    }

    @Test
    void anAmbiguousAcquisitionThatWasNotAppliedIsTriedAgainAfterReadingBack() {
        Node a = h.node("a");
        a.handle(a.machine.acquire(h.now, LeaseMachine.Mode.ONCE, 0));
        h.deliver();
        h.fail(BackendException.transport("leases/writer", true, "timeout", null));
        h.settle();
        assertEquals(1, a.last(Acquired.class).orElseThrow().token().epoch());
        assertEquals(2, h.reads, "one read, then one read-back");
    }

    @Test
    void aLosingContendersAmbiguousWriteIsNotCountedAsAWin() {
        Node a = holding("a");
        a.handle(a.machine.release(h.now));
        h.settle();
        Node b = h.node("b");
        Node c = h.node("c");
        b.handle(b.machine.acquire(h.now, LeaseMachine.Mode.ONCE, 0));
        c.handle(c.machine.acquire(h.now, LeaseMachine.Mode.ONCE, 0));
        h.deliver();
        h.deliver();
        // b's write lands first; c's write fails ambiguously (it was refused, but the answer was lost).
        h.deliver();
        h.fail(BackendException.transport("leases/writer", true, "reset", null));
        h.settle();
        assertEquals(2, b.last(Acquired.class).orElseThrow().token().epoch());
        assertTrue(c.last(Acquired.class).isEmpty(), "c read back b's nonce, not its own");
        assertFalse(c.valid());
    }

    @Test
    void aRenewalThatFindsAnotherWriteEndsTheLease() {
        Node a = holding("a");
        h.store.put("leases/writer", LeaseRecordCodec.encode(new LeaseRecord("writer", "intruder", 2, 2, "n", 1000, 0, false)),
                ConditionalPut.ifVersion(h.store.objectVersion("leases/writer").orElseThrow()));
        h.advance(ms(300));
        assertEquals(RevocationReason.LOST_TO_ANOTHER_HOLDER, a.last(Revoked.class).orElseThrow().reason());
        assertFalse(a.valid());
    }

    @Test
    void anUnreachableStoreEndsTheLeaseAtTheDeadlineAndNotLater() {
        Node a = holding("a");
        BackendException down = BackendException.transport("leases/writer", false, "connection refused", null);
        while (h.now < ms(2000).toNanos()) {
            h.advanceHoldingRequests(ms(5));
            while (h.inFlight() > 0) {
                h.fail(down);
            }
            if (h.now < ms(900).toNanos()) {
                assertTrue(a.valid(), "valid until 900 ms at " + millis(h.now));
            } else {
                assertFalse(a.valid(), "invalid from 900 ms on, at " + millis(h.now));
            }
        }
        assertEquals(RevocationReason.STORE_UNREACHABLE, a.last(Revoked.class).orElseThrow().reason());
    }

    @Test
    void aLostRequestTimesOutAndIsResolvedAsAmbiguous() {
        Node a = holding("a");
        h.advanceHoldingRequests(ms(300));
        h.drop();
        h.advance(ms(250));
        assertTrue(a.valid());
        assertTrue(a.last(Renewed.class).isPresent(), "after the timeout the renewal was read back and retried");
    }

    @Test
    void aCorruptRecordIsATypedErrorAndIsNeverOverwritten() {
        byte[] garbage = "{\"format\":\"tenure.lease/1\",\"holder\":".getBytes(StandardCharsets.UTF_8);
        h.store.put("leases/writer", garbage, ConditionalPut.ifAbsent());
        Node a = h.node("a");
        h.tryAcquire(a);
        NotAcquired failed = a.last(NotAcquired.class).orElseThrow();
        assertInstanceOf(LeaseRecordException.class, failed.error().orElseThrow());
        assertTrue(failed.error().get().getMessage().contains("leases/writer"));
        assertEquals(0, h.writes, "nothing is written over a corrupt record");
        assertEquals(new String(garbage, StandardCharsets.UTF_8),
                new String(h.store.read("leases/writer").orElseThrow().value(), StandardCharsets.UTF_8));
    }

    @Test
    void anAcquisitionConfirmedAfterItsOwnDeadlineIsNotReportedAsHeld() {
        Node a = h.node("a");
        a.handle(a.machine.acquire(h.now, LeaseMachine.Mode.ONCE, 0));
        h.deliver();
        h.advanceHoldingRequests(Duration.ofMillis(950));
        h.settle();
        assertTrue(a.last(Acquired.class).isEmpty());
        assertFalse(a.valid());
    }

    @Test
    void aReleaseWaitingOnARenewalThatCannotBeReadBackBeforeTheDeadlineStillEnds() {
        Node a = holding("a");
        h.advanceHoldingRequests(ms(300)); // the renewal write is in flight
        a.handle(a.machine.release(a.local())); // the release waits for the renewal's answer
        h.fail(BackendException.transport("leases/writer", true, "reset after sending", null));
        // The store cannot be reached to read the renewal back, until after the lease's deadline (900 ms).
        BackendException unreachable = BackendException.transport("leases/writer", false, "connection refused", null);
        while (!(h.inFlight() > 0 && h.peek() instanceof LeaseMachine.Write)) {
            assertTrue(millis(h.now) < 5_000, "the release never ended: " + a.events);
            if (h.inFlight() > 0) {
                h.fail(unreachable);
            } else {
                h.advanceHoldingRequests(ms(10));
            }
        }
        assertTrue(millis(h.now) >= 900, "the release write waits for the renewal until the deadline");
        LeaseRecord release = LeaseRecordCodec.decode("leases/writer", ((LeaseMachine.Write) h.peek()).bytes());
        assertTrue(release.released());
        h.deliver(); // the store answers again
        assertInstanceOf(LeaseMachine.Released.class, a.events.get(a.events.size() - 1), a.events.toString());
        assertTrue(a.machine.token().isEmpty(), "the machine no longer holds the lease");
        assertTrue(h.stored().released());
        assertEquals(1, h.stored().epoch());
        h.tryAcquire(a);
        assertEquals(2, a.last(Acquired.class).orElseThrow().token().epoch());
    }
}
