package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.testing.VirtualTime;
import dev.tenure.metrics.MicrometerObserver;
import dev.tenure.retry.RetryPolicy;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a lease manager keeps for operators stays bounded by the names in use (held or under
 * election), not by every name ever used; and a {@link LeaseObserver} that stopped reading says so.
 */
class ObserverBoundsTest {

    private final VirtualTime time = new VirtualTime();
    private final List<AutoCloseable> open = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MicrometerObserver metrics = new MicrometerObserver(registry);

    @AfterEach
    void closeAll() {
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        time.close();
    }

    private LeaseManager manager(AtomicRemoteBackend store, String holder) {
        LeaseManager m = time.drive(LeaseManager.builder(store, holder)
                .ttl(Duration.ofSeconds(10)).renewInterval(Duration.ofSeconds(3)).safetyMargin(Duration.ofSeconds(1))
                .skewMargin(Duration.ofMillis(500)).requestTimeout(Duration.ofMillis(100)).retryPolicy(RetryPolicy.tests())
                .random(new SplittableRandom(holder.hashCode())).observer(metrics)).build();
        open.add(m);
        return m;
    }

    private Gauge held(String lease) {
        return registry.find("tenure.lease.held").tag("lease", lease).gauge();
    }

    @Test
    void namesReleasedAndNeverUsedAgainLeaveNoGaugesNorState() throws Exception {
        LeaseManager m = manager(new InMemoryBackend(), "a");
        for (int i = 0; i < 50; i++) {
            Lease lease = m.tryAcquire("job-" + i).orElseThrow();
            time.settle();
            assertEquals(1.0, held("job-" + i).value());
            lease.release();
            time.settle();
        }
        assertTrue(registry.find("tenure.lease.held").gauges().isEmpty(), "gauges of released names stay: " + registry.getMetersAsString());
        assertTrue(registry.find("tenure.lease.time.left").gauges().isEmpty());
        assertEquals(0, m.events().namesTracked(), "the manager keeps state for names it released");
        // Taken again: the gauges come back.
        Lease again = m.tryAcquire("job-7").orElseThrow();
        time.settle();
        assertEquals(1.0, held("job-7").value());
        assertEquals(1, m.events().namesTracked());
        again.release();
        time.settle();
        assertNull(held("job-7"));
    }

    @Test
    void anElectionKeepsItsGaugesAndStateWhileItRunsAndAnotherHolderKeepsTheName() throws Exception {
        InMemoryBackend one = new InMemoryBackend();
        LeaseManager a = manager(one, "a");
        LeaseManager b = manager(one, "b");
        LeaseManager other = manager(new InMemoryBackend(), "c");
        LeaderElection ea = a.elect("writer", token -> {
        });
        time.advance(Duration.ofSeconds(1));
        assertTrue(ea.isLeader());
        LeaderElection eb = b.elect("writer", token -> {
        });
        Lease elsewhere = other.tryAcquire("writer").orElseThrow();
        time.settle();
        assertEquals(2.0, held("writer").value(), "a leads on one store, c holds the name on another");
        elsewhere.release();
        time.settle();
        assertEquals(1.0, held("writer").value(), "c's release took the gauge that a still counts");
        ea.stepDown(Duration.ofSeconds(20));
        time.advance(Duration.ofSeconds(5));
        assertTrue(eb.isLeader());
        assertEquals(1.0, held("writer").value());
        assertEquals(1, a.events().namesTracked(), "a's election still runs");
        ea.close();
        eb.close();
        time.settle();
        assertNull(held("writer"), "nobody holds or contends for writer any more");
        assertEquals(0, a.events().namesTracked());
        assertEquals(0, b.events().namesTracked());
    }

    @Test
    void aClosedObserverSaysItIsStaleAndStopsAgeing() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        LeaderElection election = manager(store, "a").elect("writer", token -> {
        });
        time.advance(Duration.ofSeconds(1));
        LeaseObserver observer = manager(store, "reader").observe("writer");
        time.advance(Duration.ofSeconds(4));
        LeaseObserver.View live = observer.current().orElseThrow();
        assertFalse(live.stale());
        assertEquals(java.util.Optional.of("a"), live.leader());
        observer.close();
        LeaseObserver.View closed = observer.current().orElseThrow();
        assertTrue(closed.stale(), closed.toString());
        time.advance(Duration.ofSeconds(30));
        LeaseObserver.View later = observer.current().orElseThrow();
        assertTrue(later.stale());
        assertEquals(closed.unchangedFor(), later.unchangedFor(), "a stale view aged past its last read");
        assertFalse(later.expired(), "the leader renews all along: " + later);
        assertTrue(election.isLeader());
        // refresh() still reads: its view is as of that read, and stays stale.
        LeaseObserver.View refreshed = observer.refresh();
        assertTrue(refreshed.stale());
        assertEquals(Duration.ZERO, refreshed.unchangedFor(), "a record renewed since is a new version: " + refreshed);
    }
}
