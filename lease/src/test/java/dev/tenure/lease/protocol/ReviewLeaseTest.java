package dev.tenure.lease.protocol;

import static dev.tenure.lease.protocol.MachineHarness.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.LeaseOutcomeUnknownException;
import dev.tenure.lease.protocol.LeaseRecord;
import dev.tenure.lease.protocol.LeaseRecordCodec;
import dev.tenure.backend.BackendException;
import dev.tenure.lease.protocol.LeaseMachine.Acquired;
import dev.tenure.lease.protocol.LeaseMachine.NotAcquired;
import dev.tenure.lease.protocol.MachineHarness.Node;
import org.junit.jupiter.api.Test;

/**
 * Found by the adversarial review of the issue 11 lease fixes: answers given while an earlier
 * write of the attempt was still unresolved, and acquisitions written after nobody wanted them.
 */
class ReviewLeaseTest {

    /**
     * W1 times out; the read-back overtakes it (absent), so W2 is written; W1 lands with its answer
     * lost; W2 is refused and the machine re-reads. The deadline comes during that re-read. W1 is
     * the stored record: the outcome is unknown, never "not acquired" nor a plain transport error,
     * and once the re-read finds W1 it is released, never handed out.
     */
    @Test
    void aDeadlineDuringTheReReadAfterARefusalWithAnEarlierWriteUnresolvedIsUnknown() {
        MachineHarness h = new MachineHarness();
        Node a = h.node("a");
        a.handle(a.machine.acquire(h.now, LeaseMachine.Mode.UNTIL_DEADLINE, ms(300).toNanos()));
        h.deliver(); // the read: absent; W1 goes out at 0 ms
        h.advanceHoldingRequests(ms(200)); // W1's request timeout: a read-back goes out
        h.deliverNewest(); // the read-back overtakes W1: absent, so W2 goes out
        assertEquals(2, h.inFlight(), "W1 and W2 in flight");
        h.applyButLoseAnswer(); // W1 lands; its answer is lost
        h.deliver(); // W2 is refused (412): the machine re-reads
        assertEquals(1, h.inFlight(), "the re-read is in flight");
        h.advanceHoldingRequests(ms(100)); // the deadline (300 ms) comes before the re-read's answer
        NotAcquired answer = a.last(NotAcquired.class).orElseThrow(() -> new AssertionError(a.events.toString()));
        assertInstanceOf(LeaseOutcomeUnknownException.class, answer.error().orElse(null),
                "W1 was never resolved: the outcome is unknown, not " + answer);
        h.advance(ms(2_000));
        assertTrue(a.events.stream().noneMatch(e -> e instanceof Acquired), "never handed out after the answer: " + a.events);
        assertTrue(h.stored().released(), "the landed write W1 is released, so nobody waits a TTL for it: " + h.stored());
        assertFalse(a.valid());
    }

    /**
     * An acquisition closed (released with nothing held) while its write is in flight: the write is
     * refused because another holder took and released the record meanwhile. The re-read finds it
     * released; nobody wants the lease any more, so the machine must not take it.
     */
    @Test
    void anAcquisitionLetGoWhileItsWriteIsInFlightDoesNotContendAgainAfterARefusal() {
        MachineHarness h = new MachineHarness();
        Node a = h.node("a");
        Node b = h.node("b");
        a.handle(a.machine.acquire(h.now, LeaseMachine.Mode.ONCE, 0));
        h.deliver(); // a's read: absent; a's create is in flight
        b.handle(b.machine.acquire(h.now, LeaseMachine.Mode.ONCE, 0));
        h.deliverNewest(); // b's read: absent
        h.deliverNewest(); // b's create lands first
        assertTrue(b.valid());
        b.handle(b.machine.release(b.local()));
        h.deliverNewest(); // b's release lands: released at epoch 1
        a.handle(a.machine.release(a.local())); // a's manager closes while its create is in flight
        int writes = h.writes;
        h.advance(ms(2_000)); // a's create is refused; a re-reads and finds the record released
        assertEquals(writes + 1, h.writes, "only the refused create was written, no new acquisition after close");
        assertEquals("b", h.stored().holder());
        assertEquals(1, h.stored().epoch());
        assertTrue(a.events.stream().noneMatch(e -> e instanceof Acquired), a.events.toString());
    }

    /**
     * An attempt whose first write W1 timed out, whose second was refused with a spurious 409, and
     * whose re-read then finds the record unexpired (its wait restarts after a refusal) gives up.
     * W1 is still on its way: the answer is unknown, not "another holder has it".
     */
    @Test
    void anAttemptGivingUpOnAHeldRecordWithAnEarlierWriteUnresolvedIsUnknown() {
        MachineHarness h = new MachineHarness();
        h.store.put("leases/writer", LeaseRecordCodec.encode(new LeaseRecord("writer", "b", 1, 1, "b0", 1000, 0, false)),
                dev.tenure.backend.ConditionalPut.ifAbsent());
        Node a = h.node("a");
        h.tryAcquire(a); // b's record seen for the first time
        assertTrue(a.last(NotAcquired.class).orElseThrow().error().isEmpty());
        h.advance(ms(1_100)); // b never renewed: expired in a's eyes (ttl + skew)
        a.handle(a.machine.acquire(a.local(), LeaseMachine.Mode.ONCE, 0));
        h.deliver(); // the read: b's record, expired; W1 (take over) goes out
        h.advanceHoldingRequests(ms(200)); // W1's request timeout: a read-back goes out
        h.deliverNewest(); // the read-back overtakes W1: b's record still, expired: W2 goes out
        assertEquals(2, h.inFlight(), "W1 and W2 in flight");
        h.failNewest(BackendException.preconditionFailed("leases/writer", "409 ConditionalRequestConflict")); // W2: not applied
        h.deliverNewest(); // the re-read: b's record, W2's condition still holds: back off; the wait restarts
        h.advanceHoldingRequests(ms(100)); // the retry's read goes out
        h.deliverNewest(); // b's record, seen anew: not expired yet, so the attempt gives up
        NotAcquired answer = a.last(NotAcquired.class).orElseThrow();
        assertEquals(1, h.inFlight(), "W1 is still on its way");
        assertInstanceOf(LeaseOutcomeUnknownException.class, answer.error().orElse(null),
                "W1 is unresolved: the outcome is unknown, not " + answer);
        h.deliver(); // W1 lands, and its late answer comes
        h.advance(ms(100));
        assertTrue(a.events.stream().noneMatch(e -> e instanceof Acquired), "never handed out after the answer: " + a.events);
        assertTrue(h.stored().released(), "released at once: " + h.stored());
    }

    /**
     * After an attempt ended with its write unresolved, the read-backs meet a non-transport error
     * (permissions changed, disk full). Nobody waits for the answer: the background resolution
     * stops once every write of the attempt would have expired, as it does for transport errors.
     */
    @Test
    void theBackgroundResolutionStopsOnceTheWriteWouldHaveExpiredWhateverTheError() {
        MachineEdgeCasesTest.Turnable store = new MachineEdgeCasesTest.Turnable();
        MachineHarness h = new MachineHarness(store);
        Node a = h.node("a");
        a.handle(a.machine.acquire(h.now, LeaseMachine.Mode.ONCE, 0));
        h.deliver(); // the read: absent; W1 goes out
        store.failEverything = BackendException.auth("leases/writer", "403 Forbidden", null);
        h.applyButLoseAnswer(); // W1 is refused by the store now (403), but its answer is lost: ambiguous
        h.advance(ms(1_000)); // the attempt's deadline: unknown
        assertInstanceOf(LeaseOutcomeUnknownException.class, a.last(NotAcquired.class).orElseThrow().error().orElse(null));
        h.advance(ms(2_000));
        int reads = h.reads;
        h.advance(ms(10_000));
        assertEquals(reads, h.reads, "still reading in the background for nobody, 2 TTLs after the write");
    }
}
