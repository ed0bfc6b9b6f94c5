package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.protocol.LeaseRecord;
import dev.tenure.lease.protocol.LeaseRecordCodec;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The lease fixes of issue 11 through the public API: close invalidates before it releases (9),
 * acquisitions return by their deadline with an unknown outcome said as such (10), elections
 * survive store errors and stop only on a corrupt record (16), and a request that leaves late
 * counts from when it left (12).
 */
class ManagerEdgeCasesTest extends GatedLeaseTest {

    /** A store that can go down: after applying a write it answers with a reset, then refuses everything. */
    static final class Outage extends ForwardingAtomicBackend {
        volatile boolean down;
        volatile boolean goDownAfterNextWrite;
        volatile BackendException error = BackendException.transport("leases/writer", false, "503 Service Unavailable", null);
        /** Counted down when the store goes down after a write: the caller's acquisition has started by then. */
        final CountDownLatch wentDown = new CountDownLatch(1);

        Outage(AtomicRemoteBackend store) {
            super(store);
        }

        @Override
        public Optional<Versioned<byte[]>> read(String key) {
            if (down) {
                throw error;
            }
            return super.read(key);
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            if (down) {
                throw error.kind() == BackendException.Kind.TRANSPORT ? BackendException.transport(key, true, "reset", null) : error;
            }
            if (goDownAfterNextWrite) {
                super.put(key, bytes, condition);
                down = true;
                wentDown.countDown();
                throw BackendException.transport(key, true, "connection reset after sending (the write may have been applied)", null);
            }
            return super.put(key, bytes, condition);
        }
    }

    private LeaseManager manager(String holder, AtomicRemoteBackend backend, Executor io) {
        return LeaseManager.builder(backend, holder)
                .ttl(Duration.ofSeconds(10))
                .renewInterval(Duration.ofSeconds(3))
                .safetyMargin(Duration.ofSeconds(1))
                .skewMargin(Duration.ofMillis(500))
                .requestTimeout(REQUEST_TIMEOUT)
                .retryPolicy(RetryPolicy.tests())
                .clock(time)
                .scheduler(time)
                .ioExecutor(io)
                // Some tests hold particular calls at the executor: each call its own task.
                .batchBackendCalls(false)
                .random(new SplittableRandom(holder.hashCode()))
                .build();
    }

    // ---- 9 ----------------------------------------------------------------------------------------

    @Test
    void closingInvalidatesTheLeaseBeforeTheReleaseReachesTheStore() throws Exception {
        LeaseManager a = manager("a");
        Lease lease = result(callers.submit(() -> a.tryAcquire("writer"))).orElseThrow();
        assertTrue(lease.isValid());
        GatedBackend.Gate release = gated.holdNextRelease();
        Future<?> closing = callers.submit(() -> {
            a.close();
            return null;
        });
        release.awaitArrived();
        assertFalse(lease.isValid(), "the release is at the store's door: another node may take the record the instant it lands");
        release.open();
        result(closing);
        LeaseManager b = manager("b");
        Lease next = result(callers.submit(() -> b.tryAcquire("writer"))).orElseThrow();
        assertEquals(2, next.fencingToken().epoch());
        assertFalse(lease.isValid());
    }

    @Test
    void workersCheckingValidityNeverSeeItValidOnceTheReleaseHasLeft() throws Exception {
        AtomicLong releaseLeftAt = new AtomicLong(Long.MAX_VALUE);
        AtomicRemoteBackend recording = new ForwardingAtomicBackend(new InMemoryBackend()) {
            @Override
            public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
                if (LeaseRecordCodec.decode(key, bytes).released()) {
                    releaseLeftAt.compareAndSet(Long.MAX_VALUE, System.nanoTime());
                }
                return super.put(key, bytes, condition);
            }
        };
        for (int round = 0; round < 20; round++) {
            releaseLeftAt.set(Long.MAX_VALUE);
            LeaseManager m = LeaseManager.builder(recording, "real-" + round).ttl(Duration.ofSeconds(10)).build();
            Lease lease = m.tryAcquire("writer").orElseThrow();
            AtomicLong validAfterRelease = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        long checkStartedAt = System.nanoTime();
                        if (lease.isValid() && checkStartedAt > releaseLeftAt.get()) {
                            validAfterRelease.incrementAndGet();
                        }
                    }
                });
                t.start();
                workers.add(t);
            }
            m.close();
            // Keep checking a little while after close returned (the release answer came back by then).
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            stop.set(true);
            for (Thread t : workers) {
                t.join();
            }
            assertTrue(releaseLeftAt.get() != Long.MAX_VALUE, "the release was written");
            assertEquals(0, validAfterRelease.get(), "round " + round + ": workers saw the lease valid after its release left");
        }
    }

    // ---- 10 ---------------------------------------------------------------------------------------

    @Test
    void anAcquisitionWhoseWriteIsUnresolvedReturnsByItsDeadlineAndIsReleasedWhenTheStoreReturns() throws Exception {
        Outage store = new Outage(this.store);
        LeaseManager a = manager("a", store, time.io());
        store.goDownAfterNextWrite = true;
        Future<Lease> acquiring = callers.submit(() -> a.acquire("writer", Duration.ofSeconds(2)));
        // The caller's thread takes its deadline when it runs: wait for its write before moving time.
        assertTrue(store.wentDown.await(10, TimeUnit.SECONDS), "the acquisition wrote");
        for (int i = 0; i < 19; i++) {
            time.advance(Duration.ofMillis(100));
        }
        assertFalse(acquiring.isDone(), "still resolving at 1.9 s");
        time.advance(Duration.ofMillis(100));
        Throwable unknown = failure(acquiring);
        assertInstanceOf(LeaseOutcomeUnknownException.class, unknown, String.valueOf(unknown));
        assertEquals("a", stored().orElseThrow().holder(), "the write did land");
        assertFalse(stored().orElseThrow().released());
        store.down = false;
        store.goDownAfterNextWrite = false;
        time.advance(Duration.ofMillis(100));
        LeaseRecord after = stored().orElseThrow();
        assertTrue(after.released(), "the acquisition that landed was resolved and released in the background: " + after);
        assertEquals(1, after.epoch());
    }

    @Test
    void tryAcquireWithTheStoreDownAfterItsWriteReturnsWithinOneTtl() throws Exception {
        Outage store = new Outage(this.store);
        LeaseManager a = manager("a", store, time.io());
        store.goDownAfterNextWrite = true;
        Future<Optional<Lease>> trying = callers.submit(() -> a.tryAcquire("writer"));
        assertTrue(store.wentDown.await(10, TimeUnit.SECONDS), "the attempt wrote");
        // Virtual time stops at the TTL; the caller's thread wakes on its own schedule, so wait for it
        // (in real time) rather than checking isDone() at once: it can only have been answered by 10 s.
        for (int i = 0; i < 100; i++) {
            time.advance(Duration.ofMillis(100));
        }
        assertTrue(time.elapsed().compareTo(Duration.ofSeconds(10)) <= 0, "at " + time.elapsed());
        assertInstanceOf(LeaseOutcomeUnknownException.class, failure(trying), "returned within the 10 s TTL");
    }

    // ---- 16 ---------------------------------------------------------------------------------------

    @Test
    void anElectionSurvivesADiskFullAndIsElectedWhenTheStoreRecovers() throws Exception {
        Outage store = new Outage(this.store);
        store.error = BackendException.internal("leases/writer", "No space left on device", null);
        store.down = true;
        LeaseManager a = manager("a", store, time.io());
        LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
        LeaderElection election = a.elect("writer", recording(events));
        time.advance(Duration.ofSeconds(8));
        assertFalse(election.isLeader());
        assertTrue(election.failure().isEmpty(), "a store error never stops an election");
        store.down = false;
        time.advance(Duration.ofMillis(200));
        // isLeader() follows the listener's thread: wait (in real time) for its onElected.
        String elected = events.poll(10, TimeUnit.SECONDS);
        assertTrue(elected != null && elected.startsWith("elected"), "elected once the store recovered: " + elected + " " + events);
        // isLeader() turns true for other threads once onElected has returned: wait (in real time) for that too.
        assertTrue(election.leadership(Duration.ofDays(1)).get(10, TimeUnit.SECONDS) != null, "elected once the store recovered: " + events);
        assertTrue(election.isLeader(), "elected once the store recovered: " + events);
        election.close();
    }

    @Test
    void anElectionStopsOnACorruptRecordAndSaysWhy() throws Exception {
        store.put("leases/writer", "{\"format\":\"tenure.lease/1\"}".getBytes(StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
        LeaseManager a = manager("a");
        List<RuntimeException> stopped = new ArrayList<>();
        LeaderElection election = a.elect("writer", new LeaderListener() {
            @Override
            public void onElected(FencingToken token) {
            }

            @Override
            public void onRevoked(RevocationReason reason) {
            }

            @Override
            public void onStopped(RuntimeException cause) {
                synchronized (stopped) {
                    stopped.add(cause);
                }
            }
        });
        time.advance(Duration.ofMillis(100));
        for (int i = 0; i < 100 && election.failure().isEmpty(); i++) {
            Thread.onSpinWait();
            time.settle();
        }
        assertInstanceOf(LeaseRecordException.class, election.failure().orElseThrow());
        callers.submit(() -> null).get(); // the callback thread ran before the failure was visible; wait for the listener
        time.settle();
        for (int i = 0; i < 1000; i++) {
            synchronized (stopped) {
                if (!stopped.isEmpty()) {
                    break;
                }
            }
            Thread.onSpinWait();
        }
        synchronized (stopped) {
            assertEquals(1, stopped.size());
            assertInstanceOf(LeaseRecordException.class, stopped.get(0));
        }
    }

    // ---- 12 ---------------------------------------------------------------------------------------

    /** Lets the first {@code pass} tasks through; holds the rest until {@link #release()}. */
    static final class HoldingExecutor implements Executor {
        private final Executor inner;
        private int pass;
        private final List<Runnable> held = new ArrayList<>();
        /** Counted down when the first task is held. */
        final CountDownLatch holding = new CountDownLatch(1);

        HoldingExecutor(Executor inner, int pass) {
            this.inner = inner;
            this.pass = pass;
        }

        @Override
        public synchronized void execute(Runnable task) {
            if (pass > 0) {
                pass--;
                inner.execute(task);
            } else {
                held.add(task);
                holding.countDown();
            }
        }

        synchronized int held() {
            return held.size();
        }

        synchronized void release() {
            held.forEach(inner::execute);
            held.clear();
            pass = Integer.MAX_VALUE;
        }
    }

    @Test
    void aWriteThatLeavesLateIsNotTimedOutAndCountsFromWhenItLeft() throws Exception {
        HoldingExecutor io = new HoldingExecutor(time.io(), 1);
        LeaseManager a = manager("a", gated, io);
        long start = time.nanoTime();
        Future<Optional<Lease>> trying = callers.submit(() -> a.tryAcquire("writer"));
        assertTrue(io.holding.await(10, TimeUnit.SECONDS), "the write reached the I/O executor");
        time.settle();
        assertEquals(1, io.held(), "the write waits for an I/O thread (a cold JVM, a busy pool)");
        time.advance(Duration.ofSeconds(3));
        io.release();
        time.settle();
        Lease lease = result(trying).orElseThrow();
        assertEquals(1, lease.fencingToken().epoch(), "the first write won: it was never timed out before it left");
        assertEquals(start + Duration.ofSeconds(3 + 9).toNanos(), lease.validUntilNanos(),
                "valid until sentAt + ttl - safety, sentAt when the write left");
        assertEquals(1, counting.writes.get());
    }
}
