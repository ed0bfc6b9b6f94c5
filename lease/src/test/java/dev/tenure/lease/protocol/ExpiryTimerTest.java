package dev.tenure.lease.protocol;

import static dev.tenure.lease.protocol.MachineHarness.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.ConditionalPut;
import dev.tenure.lease.LeaseClock;
import dev.tenure.lease.LeaseConfig;
import dev.tenure.lease.protocol.LeaseMachine.Acquired;
import dev.tenure.lease.protocol.MachineHarness.Node;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A contender waiting for a record to expire acts at the exact instant it expires on its own clock
 * ({@code firstSeen + record ttl + skewMargin}), with the conditional write itself: never before,
 * never a poll later, and a record that changes re-arms from when the new version is first seen.
 * Virtual time, exact instants.
 */
class ExpiryTimerTest {

    private final MachineHarness h = new MachineHarness();

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    private void contendForever(Node n) {
        n.handle(n.machine.acquire(n.local(), LeaseMachine.Mode.FOREVER, Long.MAX_VALUE));
    }

    private static long eventTime(Node n, Class<? extends LeaseMachine.Event> type) {
        for (int i = 0; i < n.events.size(); i++) {
            if (type.isInstance(n.events.get(i))) {
                return n.eventTimes.get(i);
            }
        }
        return -1;
    }

    @Test
    void theContenderWritesAtTheExpiryInstantWithNoReadFirst() {
        Node a = h.node("a");
        h.tryAcquire(a);
        a.crashed = true;
        Node b = h.node("b");
        contendForever(b);
        h.settle(); // b first sees a's record at 0 ms: it expires for b at 0 + 1,000 + 50 ms
        h.advance(ms(1049));
        assertTrue(b.last(Acquired.class).isEmpty(), "never before the expiry instant on b's clock");
        assertEquals(1, h.writes, "b wrote nothing yet (a's acquisition only)");
        h.advanceHoldingRequests(ms(1));
        assertEquals(1, h.inFlight(), "at 1,050 ms exactly b sends one request");
        LeaseMachine.Write write = assertInstanceOf(LeaseMachine.Write.class, h.peek(), "the takeover write itself, no read first");
        assertInstanceOf(ConditionalPut.IfVersion.class, write.condition(), "conditional on the version watched");
        h.deliver();
        assertEquals(2, b.last(Acquired.class).orElseThrow().token().epoch());
        assertEquals(1050, millis(eventTime(b, Acquired.class)));
        assertTrue(millis(a.machine.validUntil()) <= 900, "a stopped acting at 900 ms, before b could take over");
    }

    @Test
    void aRecordThatChangesReArmsFromWhenTheNewVersionIsFirstSeen() {
        Node a = h.node("a");
        h.tryAcquire(a);
        Node b = h.node("b");
        contendForever(b);
        h.settle(); // b watches version 1 from 0 ms
        // a renews at 300, 600 and 900 ms; b polls at 300, 600, 900 ms (after a's renewals, same instant), then a dies.
        h.advance(ms(900));
        a.crashed = true;
        assertEquals(1, a.machine.token().orElseThrow().epoch());
        h.advance(ms(1049));
        assertTrue(b.last(Acquired.class).isEmpty(), "1,949 ms: the version b last saw was first seen at 900 ms, it expires at 1,950 ms");
        h.advanceHoldingRequests(ms(1));
        assertInstanceOf(LeaseMachine.Write.class, h.peek());
        h.deliver();
        assertEquals(1950, millis(eventTime(b, Acquired.class)), "at 900 + 1,000 + 50 ms exactly");
    }

    @Test
    void aTakeoverWriteThatFindsTheRecordChangedIsReadBackAndReArmed() {
        Node a = h.node("a");
        h.tryAcquire(a);
        a.crashed = true;
        Node b = h.node("b");
        contendForever(b);
        h.settle(); // b watches a's record from 0 ms; its last poll is at 900 ms, the expiry at 1,050 ms
        h.advance(ms(1040));
        // Another holder takes the record at 1,040 ms, after b's last poll: b does not know.
        var current = h.store.read("leases/writer").orElseThrow();
        h.store.put("leases/writer", LeaseRecordCodec.encode(new LeaseRecord("writer", "c", 2, 5, "c0ffee", 1000, 0, false)),
                ConditionalPut.ifVersion(current.version()));
        h.advance(ms(10));
        assertTrue(b.last(Acquired.class).isEmpty(), "the takeover write was refused: the record had changed");
        assertEquals("c", h.stored().holder(), "c's record stands");
        // Re-read at 1,050 ms: c's record expires for b at 1,050 + 1,000 + 50 ms.
        h.advance(ms(1049));
        assertTrue(b.last(Acquired.class).isEmpty(), "2,099 ms: c's record has not expired on b's clock");
        h.advanceHoldingRequests(ms(1));
        assertInstanceOf(LeaseMachine.Write.class, h.peek());
        h.deliver();
        assertEquals(3, b.last(Acquired.class).orElseThrow().token().epoch(), "fenced above c");
        assertEquals(2100, millis(eventTime(b, Acquired.class)));
    }

    @Test
    void withARenewIntervalFarLongerThanARoundTripTheLeaseChangesHandsOneRoundTripAfterExpiry() {
        Duration ttl = ms(10_000);
        Duration renew = ms(4_000);
        Node a = h.node("a", ttl, renew, ms(1_000), ms(1_000));
        h.tryAcquire(a);
        h.advance(ms(100));
        Node b = h.node("b", ttl, renew, ms(1_000), ms(1_000));
        contendForever(b);
        h.settle(); // b first reads at 100 ms, then polls every 4 s: at 4,100 and 8,100 ms it sees a's renewals of 4,000 and 8,000 ms
        h.advance(ms(7_950));
        a.crashed = true; // at 8,050 ms, after its last renewal
        int reads = h.reads;
        // b first saw a's last record at 8,100 ms: it expires at 8,100 + 10,000 + 50 = 18,150 ms on b's clock.
        h.advance(ms(18_149 - 8_050));
        assertTrue(b.last(Acquired.class).isEmpty(), "never before the expiry instant");
        assertEquals(3, h.reads - reads, "polls at 8,100, 12,100 and 16,100 ms only: none is due within an interval of the expiry");
        h.advanceHoldingRequests(ms(1));
        assertInstanceOf(LeaseMachine.Write.class, h.peek(), "at 18,150 ms: the write, not a poll 4 s later nor a read first");
        Duration roundTrip = ms(7);
        h.advanceHoldingRequests(roundTrip);
        h.deliver();
        assertEquals(18_150 + 7, millis(eventTime(b, Acquired.class)), "expiry + one round trip, whatever the renew interval");
    }

    @Test
    void anExpiryTimerWokenEarlyNeverActsAndWaitsForTheInstant() {
        MachineHarness.Node a = h.node("a");
        h.tryAcquire(a);
        var stored = h.store.read("leases/writer").orElseThrow();
        LeaseConfig config = new LeaseConfig("leases/", "b", MachineHarness.TTL, MachineHarness.RENEW, MachineHarness.SAFETY,
                MachineHarness.SKEW, MachineHarness.TIMEOUT, dev.tenure.retry.RetryPolicy.tests(), new LeaseClock() {
                    @Override
                    public long nanoTime() {
                        return 0;
                    }

                    @Override
                    public long wallMillis() {
                        return 0;
                    }
                });
        LeaseMachine b = new LeaseMachine(config, "writer", new java.util.SplittableRandom(7));
        LeaseMachine.Read read = (LeaseMachine.Read) b.acquire(0, LeaseMachine.Mode.FOREVER, Long.MAX_VALUE).stream()
                .filter(LeaseMachine.Read.class::isInstance).findFirst().orElseThrow();
        b.onSent(read.requestId(), 0);
        LeaseMachine.SetTimer expiry = expiryTimer(b.onRead(read.requestId(), 0, java.util.Optional.of(stored), null));
        assertEquals(1050, millis(expiry.atNanos()), "armed for firstSeen + ttl + skew");
        var early = b.onTimer(LeaseMachine.Timer.EXPIRY, expiry.token(), ms(1049).toNanos());
        assertTrue(early.stream().noneMatch(LeaseMachine.Write.class::isInstance), "1 ms early: no write " + early);
        LeaseMachine.SetTimer again = expiryTimer(early);
        assertEquals(1050, millis(again.atNanos()), "armed again for the instant itself");
        var onTime = b.onTimer(LeaseMachine.Timer.EXPIRY, again.token(), ms(1050).toNanos());
        assertTrue(onTime.stream().anyMatch(LeaseMachine.Write.class::isInstance), "at the instant: the takeover write " + onTime);
    }

    private static LeaseMachine.SetTimer expiryTimer(java.util.List<LeaseMachine.Command> commands) {
        return commands.stream().filter(c -> c instanceof LeaseMachine.SetTimer t && t.timer() == LeaseMachine.Timer.EXPIRY)
                .map(LeaseMachine.SetTimer.class::cast).findFirst().orElseThrow(() -> new AssertionError("no EXPIRY timer in " + commands));
    }
}
