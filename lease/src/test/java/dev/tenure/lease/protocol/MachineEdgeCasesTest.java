package dev.tenure.lease.protocol;

import static dev.tenure.lease.protocol.MachineHarness.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.LeaseClock;
import dev.tenure.lease.LeaseConfig;
import dev.tenure.lease.LeaseConfigurationException;
import dev.tenure.lease.LeaseRecordException;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.protocol.LeaseMachine.Acquired;
import dev.tenure.lease.protocol.LeaseMachine.HolderSeen;
import dev.tenure.lease.protocol.LeaseMachine.NotAcquired;
import dev.tenure.lease.protocol.LeaseMachine.Renewed;
import dev.tenure.lease.protocol.LeaseMachine.Revoked;
import dev.tenure.lease.protocol.MachineHarness.Node;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The protocol fixes of issue 11 (lease side), each at the machine, in virtual time: writes that
 * time out and land later, refused conditional writes, store errors under an election, records
 * out of bounds, margins, and send times.
 */
class MachineEdgeCasesTest {

    /** A store whose answers the test can turn: refuse creates, refuse the next N writes, or fail everything. */
    static final class Turnable extends ForwardingAtomicBackend {
        volatile boolean refuseCreates;
        final AtomicInteger refuseWrites = new AtomicInteger();
        volatile BackendException failEverything;

        Turnable() {
            super(new InMemoryBackend());
        }

        @Override
        public Optional<Versioned<byte[]>> read(String key) {
            if (failEverything != null) {
                throw failEverything;
            }
            return super.read(key);
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            if (failEverything != null) {
                throw failEverything;
            }
            if (refuseCreates && condition instanceof ConditionalPut.IfAbsent) {
                throw BackendException.preconditionFailed(key, "409 Conflict: the parent collection does not exist");
            }
            if (refuseWrites.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw BackendException.preconditionFailed(key, "409 ConditionalRequestConflict");
            }
            return super.put(key, bytes, condition);
        }
    }

    // ---- 13: every unresolved write of ours counts as ours ---------------------------------------

    @Test
    void anAcquisitionThatTimedOutAndLandedAfterTheReadBackIsStillOurs() {
        MachineHarness h = new MachineHarness();
        Node a = h.node("a");
        a.handle(a.machine.acquire(h.now, LeaseMachine.Mode.UNTIL_DEADLINE, ms(5_000).toNanos()));
        h.deliver(); // the read: absent
        assertEquals(1, h.inFlight(), "the first write W1 is on its way");
        h.advanceHoldingRequests(ms(200)); // its answer is late: the request timeout fires, a read-back goes out
        assertEquals(2, h.inFlight());
        h.deliverNewest(); // the read-back overtakes W1: still absent, so W2 is written
        assertEquals(2, h.inFlight(), "W1 still in flight, W2 sent");
        h.deliver(); // W1 lands now
        h.deliver(); // W2: refused (the record exists); the machine re-reads and finds W1
        h.settle();
        Acquired acquired = a.last(Acquired.class).orElseThrow(() -> new AssertionError(a.events.toString()));
        assertEquals(1, acquired.token().epoch(), "its own first write, not another holder's");
        assertEquals(900, acquired.validUntilNanos() / 1_000_000, "valid from W1's send time (0 ms), never later");
        assertTrue(a.events.stream().noneMatch(e -> e instanceof HolderSeen seen && seen.holder().equals("a")),
                "never took its own write for another holder's: " + a.events);
        assertTrue(a.valid());
    }

    @Test
    void aRenewalThatTimedOutAndLandedBeforeTheRetryIsStillOurs() {
        MachineHarness h = new MachineHarness();
        Node a = h.node("a");
        h.tryAcquire(a);
        h.advanceHoldingRequests(ms(300)); // renewal R1 sent at 300 ms
        assertEquals(1, h.inFlight());
        h.advanceHoldingRequests(ms(200)); // R1 times out at 500 ms: a read-back goes out
        h.deliverNewest(); // the read-back sees the old version: R1 not applied (yet); a retry is due after a backoff
        h.deliver(); // R1 lands now: its late answer (or, had it been lost, the retry's refusal and re-read) finds it ours
        h.advance(ms(30));
        assertTrue(a.events.stream().noneMatch(e -> e instanceof Revoked), "never revoked on a guess: " + a.events);
        Renewed renewed = a.last(Renewed.class).orElseThrow(() -> new AssertionError(a.events.toString()));
        assertEquals(1200, renewed.validUntilNanos() / 1_000_000, "valid from R1's send time (300 ms)");
        assertTrue(a.valid());
    }

    // ---- 11: refused conditional writes are re-read, never spun on nor taken as a loss ---------

    @Test
    void aStoreThatRefusesEveryCreateEndsTheAttemptInsteadOfSpinning() {
        Turnable store = new Turnable();
        store.refuseCreates = true;
        MachineHarness h = new MachineHarness(store);
        Node a = h.node("a");
        a.handle(a.machine.acquire(h.now, LeaseMachine.Mode.ONCE, 0));
        for (int i = 0; i < 1_000 && a.last(NotAcquired.class).isEmpty(); i++) {
            if (h.inFlight() > 0) {
                h.deliver();
            } else {
                h.advance(ms(10));
            }
        }
        NotAcquired ended = a.last(NotAcquired.class).orElseThrow(() -> new AssertionError("still spinning after "
                + (h.reads + h.writes) + " requests"));
        assertTrue(ended.error().isPresent(), "ended on the store's refusal, reported: " + ended);
        assertTrue(h.now <= ms(1000).toNanos(), "within one TTL");
        assertTrue(h.writes < 40, "backed off between writes: " + h.writes);
    }

    @Test
    void aRenewalRefusedWith409IsReadBackAndKeptWhenTheRecordIsStillOurs() {
        Turnable store = new Turnable();
        MachineHarness h = new MachineHarness(store);
        Node a = h.node("a");
        h.tryAcquire(a);
        store.refuseWrites.set(1);
        h.advance(ms(350)); // the renewal at 300 ms is refused with 409; the re-read shows our record; the retry lands
        assertTrue(a.events.stream().noneMatch(e -> e instanceof Revoked), "a 409 is not a loss by itself: " + a.events);
        assertTrue(a.last(Renewed.class).isPresent(), a.events.toString());
        assertTrue(a.valid());
        assertEquals(1, h.stored().epoch());
    }

    // ---- 16: an election keeps contending through store errors -----------------------------------

    @Test
    void anElectionKeepsContendingThroughADiskFullAndIsElectedWhenItRecovers() {
        Turnable store = new Turnable();
        store.failEverything = BackendException.internal("leases/writer", "No space left on device", null);
        MachineHarness h = new MachineHarness(store);
        Node a = h.node("a");
        a.handle(a.machine.acquire(h.now, LeaseMachine.Mode.FOREVER, Long.MAX_VALUE));
        h.advance(ms(8_000));
        assertTrue(a.last(NotAcquired.class).isEmpty(), "a store error never stops an election: " + a.events);
        assertTrue(h.reads > 8, "it kept trying, with backoff: " + h.reads + " reads in 8 s");
        assertTrue(h.reads < 8_000 / 5, "backed off (jittered, capped at 20 ms): " + h.reads);
        store.failEverything = null;
        h.advance(ms(100));
        assertTrue(a.valid(), "elected once the store recovered: " + a.events);
    }

    @Test
    void anElectionStopsOnACorruptRecordWithATypedError() {
        Turnable store = new Turnable();
        store.put("leases/writer", "{\"not\":\"a lease\"}".getBytes(StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
        MachineHarness h = new MachineHarness(store);
        Node a = h.node("a");
        a.handle(a.machine.acquire(h.now, LeaseMachine.Mode.FOREVER, Long.MAX_VALUE));
        h.advance(ms(100));
        NotAcquired stopped = a.last(NotAcquired.class).orElseThrow();
        assertInstanceOf(LeaseRecordException.class, stopped.error().orElseThrow());
        int reads = h.reads;
        h.advance(ms(5_000));
        assertEquals(reads, h.reads, "stopped: it does not read a corrupt record again");
    }

    // ---- 17: records out of bounds are refused, never overwritten ---------------------------------

    private static byte[] record(long epoch, long ttlMillis, boolean released) {
        return LeaseRecordCodec.encode(new LeaseRecord("writer", "x", epoch, 1, "feed", ttlMillis, 0, released));
    }

    @Test
    void aRecordWithAnOverflowingTtlIsRefusedAndNeverTakenOver() {
        MachineHarness h = new MachineHarness();
        h.store.put("leases/writer", record(1, 9_300_000_000_000L, false), ConditionalPut.ifAbsent());
        Node a = h.node("a");
        h.tryAcquire(a);
        NotAcquired refused = a.last(NotAcquired.class).orElseThrow();
        LeaseRecordException why = assertInstanceOf(LeaseRecordException.class, refused.error().orElseThrow());
        assertTrue(why.getMessage().contains("out of bounds"), why.getMessage());
        assertFalse(a.valid());
        assertEquals(0, h.writes, "never overwritten");
    }

    @Test
    void aReleasedRecordAtTheHighestEpochEndsTheAttemptWithATypedError() {
        MachineHarness h = new MachineHarness();
        h.store.put("leases/writer", record(LeaseRecord.MAX_EPOCH, 1000, true), ConditionalPut.ifAbsent());
        Node a = h.node("a");
        h.tryAcquire(a);
        NotAcquired refused = a.last(NotAcquired.class).orElseThrow();
        assertInstanceOf(LeaseRecordException.class, refused.error().orElseThrow());
        assertEquals(0, h.writes, "never overwritten");
        h.store.put("leases/writer", record(Long.MAX_VALUE, 1000, true),
                ConditionalPut.ifVersion(h.store.read("leases/writer").orElseThrow().version()));
        assertThrows(LeaseRecordException.class, h::stored, "an epoch above the bound is refused when read");
    }

    @Test
    void deadlinesSaturateInsteadOfWrapping() {
        assertEquals(Long.MAX_VALUE, Saturating.add(Long.MAX_VALUE - 5, 10));
        assertEquals(Long.MIN_VALUE, Saturating.add(Long.MIN_VALUE + 5, -10));
        assertEquals(Long.MAX_VALUE, Saturating.millisToNanos(9_300_000_000_000L));
        assertEquals(Long.MAX_VALUE, Saturating.nanos(Duration.ofDays(365L * 300)));
        assertEquals(7, Saturating.add(3, 4));
    }

    private static LeaseConfig config(Duration ttl, Duration safety, Duration skew) {
        return new LeaseConfig("leases/", "a", ttl, Duration.ofMillis(300), safety, skew, Duration.ofMillis(200),
                RetryPolicy.tests(), LeaseClock.system());
    }

    @Test
    void aTtlBeyondTheBoundIsRefusedWithTheNumbers() {
        LeaseConfigurationException e = assertThrows(LeaseConfigurationException.class,
                () -> config(Duration.ofDays(365L * 292), Duration.ofMillis(100), Duration.ofMillis(50)));
        assertTrue(e.getMessage().contains("at most " + LeaseRecord.MAX_TTL_MILLIS), e.getMessage());
    }

    // ---- 20: zero margins are refused --------------------------------------------------------------

    @Test
    void zeroSafetyOrSkewMarginsAreRefusedWithTheNumbers() {
        LeaseConfigurationException safety = assertThrows(LeaseConfigurationException.class,
                () -> config(Duration.ofSeconds(1), Duration.ZERO, Duration.ofMillis(50)));
        assertTrue(safety.getMessage().contains("safetyMargin (0 ms)"), safety.getMessage());
        LeaseConfigurationException skew = assertThrows(LeaseConfigurationException.class,
                () -> config(Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ZERO));
        assertTrue(skew.getMessage().contains("skewMargin (0 ms)"), skew.getMessage());
    }

    // ---- 12: validity and the request timeout count from the real send time ------------------------

    @Test
    void aWriteThatLeavesLateCountsFromWhenItLeftAndIsNotTimedOutBeforeIt() {
        LeaseConfig c = config(Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMillis(500));
        LeaseMachine m = new LeaseMachine(c, "writer", new SplittableRandom(1));
        List<LeaseMachine.Command> out = m.acquire(0, LeaseMachine.Mode.ONCE, 0);
        LeaseMachine.Read read = (LeaseMachine.Read) out.get(1);
        m.onSent(read.requestId(), 0);
        out = m.onRead(read.requestId(), 0, Optional.empty(), null);
        LeaseMachine.Write write = out.stream().filter(LeaseMachine.Write.class::isInstance).map(LeaseMachine.Write.class::cast)
                .findFirst().orElseThrow();
        // A cold JVM: 1.2 s pass between the machine asking for the write and the write leaving.
        long leftAt = 1_200_000_000L;
        for (LeaseMachine.Command command : out) {
            if (command instanceof LeaseMachine.SetTimer t && t.timer() == LeaseMachine.Timer.REQUEST_TIMEOUT) {
                assertTrue(t.atNanos() > leftAt, "no request timeout before the request has even left: " + t);
            }
        }
        List<LeaseMachine.Command> sent = m.onSent(write.requestId(), leftAt);
        LeaseMachine.SetTimer timeout = (LeaseMachine.SetTimer) sent.get(0);
        assertEquals(leftAt + 200_000_000L, timeout.atNanos(), "the request timeout counts from the send");
        List<LeaseMachine.Command> answered = m.onWrite(write.requestId(), leftAt + 50_000_000L, new ObjectVersion("v1"), null);
        Acquired acquired = answered.stream().filter(LeaseMachine.Notify.class::isInstance).map(n -> ((LeaseMachine.Notify) n).event())
                .filter(Acquired.class::isInstance).map(Acquired.class::cast).findFirst().orElseThrow();
        assertEquals(leftAt + 9_000_000_000L, acquired.validUntilNanos(), "valid until sentAt + ttl - safety, sentAt when it left");
    }
}
