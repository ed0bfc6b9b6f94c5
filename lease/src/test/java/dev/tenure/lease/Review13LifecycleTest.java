package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.testing.VirtualTime;
import dev.tenure.retry.RetryPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.tenure.metrics.MicrometerObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Review of issue 13: handles closed after their manager, listener order around close, shared metrics. */
class Review13LifecycleTest {

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    private LeaseManager manager(InMemoryBackend store, String holder, LeaseManager.Builder extra) {
        LeaseManager m = extra.build();
        open.add(m);
        return m;
    }

    private static LeaseManager.Builder builder(InMemoryBackend store, String holder) {
        return LeaseManager.builder(store, holder).retryPolicy(RetryPolicy.tests());
    }

    /** "Releasing or closing a handle again does nothing": also after its manager closed (try-with-resources in either order). */
    @Test
    void closingALeaseAfterItsManagerClosedDoesNothing() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        LeaseManager m = manager(store, "a", builder(store, "a"));
        Lease lease = m.tryAcquire("x").orElseThrow();
        m.close();
        assertFalse(lease.isValid());
        assertDoesNotThrow(lease::close, "closing a released handle after its manager closed threw");
        assertDoesNotThrow(lease::release);
    }

    /** An election that failed AlreadyInUse is never closed by its manager; closing it afterwards must not throw. */
    @Test
    void closingAFailedElectionAfterItsManagerClosedDoesNothing() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        LeaseManager m = manager(store, "a", builder(store, "a"));
        LeaderElection one = m.elect("x", token -> {
        });
        assertTrue(one.awaitLeadership(Duration.ofSeconds(30)).isPresent());
        LeaderElection two = m.elect("x", token -> {
        });
        m.close();
        assertDoesNotThrow(two::close, "closing an election after its manager closed threw");
    }

    /** The callback thread is busy when the manager closes: the election's own close afterwards must not throw. */
    @Test
    void closingAnElectionAfterItsManagerClosedWhileCallbacksLagDoesNothing() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        ExecutorService callbacks = Executors.newSingleThreadExecutor();
        open.add(callbacks::shutdownNow);
        LeaseManager m = manager(store, "a", builder(store, "a").callbackExecutor(callbacks));
        LeaderElection one = m.elect("x", token -> {
        });
        assertTrue(one.awaitLeadership(Duration.ofSeconds(30)).isPresent());
        CountDownLatch busy = new CountDownLatch(1);
        callbacks.execute(() -> {
            try {
                busy.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        m.close();
        try {
            assertDoesNotThrow(one::close, "closing an election after its manager closed threw");
        } finally {
            busy.countDown();
        }
    }

    /**
     * "onElected and onRevoked alternate": a leader whose lease is lost and whose election is then
     * closed before the callback thread got to the revocation is never told it stopped leading.
     */
    @Test
    void aLeaderClosedWhileItsRevocationIsQueuedIsStillToldItWasRevoked() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        ElectionErgonomicsTest.Refusing refusing = new ElectionErgonomicsTest.Refusing(store);
        VirtualTime time = new VirtualTime();
        open.add(time::close);
        List<Runnable> queued = new ArrayList<>();
        LeaseManager m = time.drive(LeaseManager.builder(refusing, "a")
                .ttl(Duration.ofSeconds(10)).renewInterval(Duration.ofSeconds(3)).safetyMargin(Duration.ofSeconds(1))
                .skewMargin(Duration.ofMillis(500)).requestTimeout(Duration.ofMillis(100)).retryPolicy(RetryPolicy.tests())
                .random(new SplittableRandom(1)))
                .callbackExecutor(task -> {
                    synchronized (queued) {
                        queued.add(task);
                    }
                })
                .build();
        open.add(0, m);
        ElectionErgonomicsTest.Recorder listener = new ElectionErgonomicsTest.Recorder();
        LeaderElection election = m.elect("writer", listener);
        time.advance(Duration.ofSeconds(1));
        runAll(queued);
        assertEquals(List.of("elected writer@1"), listener.events);
        refusing.refuseWritesOnly = true;
        time.advance(Duration.ofSeconds(4)); // the renewal is refused: revoked STORE_REJECTED, its callback queued
        election.close();
        time.settle();
        runAll(queued);
        assertTrue(listener.events.size() >= 2 && listener.events.get(1).startsWith("revoked"),
                "elected, then closed after losing the lease: the listener must hear it was revoked; heard " + listener.events);
    }

    private static void runAll(List<Runnable> queued) {
        while (true) {
            Runnable next;
            synchronized (queued) {
                if (queued.isEmpty()) {
                    return;
                }
                next = queued.remove(0);
            }
            next.run();
        }
    }

    /** Two managers of one process sharing a holder id (one per store, say) and one MicrometerObserver. */
    @Test
    void aSharedMicrometerObserverCountsTheLeasesOfTwoManagersWithTheSameHolderId() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MicrometerObserver metrics = new MicrometerObserver(registry);
        InMemoryBackend one = new InMemoryBackend();
        InMemoryBackend two = new InMemoryBackend();
        LeaseManager m1 = manager(one, "replica-1", builder(one, "replica-1").observer(metrics));
        LeaseManager m2 = manager(two, "replica-1", builder(two, "replica-1").observer(metrics));
        Optional<Lease> a = m1.tryAcquire("a");
        Optional<Lease> b = m2.tryAcquire("b");
        assertTrue(a.isPresent() && b.isPresent());
        assertEquals(1.0, registry.get("tenure.lease.held").tag("lease", "b").gauge().value());
        assertEquals(1.0, registry.get("tenure.lease.held").tag("lease", "a").gauge().value(),
                "lease a is held by the first manager, but the second one's health replaced it in the observer");
        m2.close();
        assertEquals(1.0, registry.get("tenure.lease.held").tag("lease", "a").gauge().value(),
                "closing one manager took the other's leases out of the gauges");
    }
}
