package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.protocol.LeaseRecord;
import dev.tenure.lease.protocol.LeaseRecordCodec;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.RemoteBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The public API on real threads against an in-memory store, with the requests counted. */
class LeaseManagerTest {

    private final InMemoryBackend store = new InMemoryBackend();
    private final CountingBackend counting = new CountingBackend(store);
    private final List<LeaseManager> managers = new java.util.ArrayList<>();

    private LeaseManager manager(String holder) {
        LeaseManager m = LeaseManager.builder(counting, holder)
                .ttl(Duration.ofMillis(600))
                .renewInterval(Duration.ofMillis(150))
                .safetyMargin(Duration.ofMillis(100))
                .skewMargin(Duration.ofMillis(50))
                .requestTimeout(Duration.ofMillis(200))
                .retryPolicy(RetryPolicy.tests())
                .build();
        managers.add(m);
        return m;
    }

    @AfterEach
    void closeAll() {
        managers.forEach(LeaseManager::close);
    }

    @Test
    void acquiringAFreeLeaseCostsTwoRequestsAndARenewalExactlyOne() throws Exception {
        LeaseManager a = LeaseManager.builder(counting, "a").ttl(Duration.ofSeconds(30)).renewInterval(Duration.ofSeconds(10))
                .build();
        managers.add(a);
        Lease lease = a.tryAcquire("writer").orElseThrow();
        assertEquals(1, counting.reads.get());
        assertEquals(1, counting.writes.get());
        assertEquals(new FencingToken("writer", 1), lease.fencingToken());
        counting.reset();
        lease.renew();
        assertEquals(0, counting.reads.get(), "a renewal never reads");
        assertEquals(1, counting.writes.get(), "a renewal is exactly one conditional write");
        lease.release();
        assertFalse(lease.isValid());
        counting.reset();
        Lease again = manager("b").tryAcquire("writer").orElseThrow();
        assertEquals(2, counting.total(), "a released lease costs one read and one write");
        assertEquals(2, again.fencingToken().epoch(), "the epoch never resets");
    }

    @Test
    void aHeldLeaseIsNotGivenToAnotherHolderAndAcquireTimesOut() throws Exception {
        Lease held = manager("a").tryAcquire("writer").orElseThrow();
        LeaseManager b = manager("b");
        assertEquals(Optional.empty(), b.tryAcquire("writer"));
        assertThrows(TimeoutException.class, () -> b.acquire("writer", Duration.ofMillis(300)));
        assertTrue(held.isValid(), "renewals keep the holder valid");
        held.checkValid();
    }

    @Test
    void aCrashedHoldersLeaseIsTakenAfterItsTtlWithAHigherEpoch() throws Exception {
        LeaseManager a = manager("a");
        Lease held = a.tryAcquire("writer").orElseThrow();
        a.abandon();
        long start = System.nanoTime();
        Lease taken = manager("b").acquire("writer", Duration.ofSeconds(5));
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(2, taken.fencingToken().epoch());
        assertTrue(taken.fencingToken().supersedes(held.fencingToken()));
        assertFalse(held.isValid(), "the crashed holder's lease expired on its own clock");
        assertTrue(waitedMs >= 600, "b waited at least the TTL it observed: " + waitedMs + " ms");
    }

    @Test
    void anElectionElectsRevokesOnLossAndReleasesOnClose() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        LeaderListener listener = new LeaderListener() {
            @Override
            public void onElected(FencingToken token) {
                events.add("elected " + token);
            }

            @Override
            public void onRevoked(RevocationReason reason) {
                events.add("revoked " + reason);
            }
        };
        LeaseManager a = manager("a");
        LeaderElection election = a.elect("writer", listener);
        assertEquals("elected writer@1", events.poll(5, TimeUnit.SECONDS));
        // isLeader() turns true for other threads once onElected has returned (which the event does not prove): wait for that.
        assertTrue(election.awaitLeadership(Duration.ofSeconds(5)).isPresent());
        assertTrue(election.isLeader());
        // Another writer forces the record over (what a takeover after a partition looks like to a).
        store.put("leases/writer", LeaseRecordCodec.encode(new LeaseRecord("writer", "intruder", 2, 9, "x", 600, 0, false)),
                ConditionalPut.ifVersion(store.objectVersion("leases/writer").orElseThrow()));
        assertEquals("revoked LOST_TO_ANOTHER_HOLDER", events.poll(5, TimeUnit.SECONDS));
        assertFalse(election.isLeader());
        assertEquals("elected writer@3", events.poll(5, TimeUnit.SECONDS), "the election contends again and takes over after the TTL");
        election.close();
        assertFalse(election.isLeader());
        LeaseRecord stored = LeaseRecordCodec.decode("leases/writer", store.read("leases/writer").orElseThrow().value());
        assertTrue(stored.released());
        assertEquals(3, stored.epoch());
    }

    @Test
    void anUnsafeTimingIsRefusedWithItsNumbers() {
        LeaseConfigurationException e = assertThrows(LeaseConfigurationException.class,
                () -> LeaseManager.builder(store, "a").ttl(Duration.ofSeconds(10)).renewInterval(Duration.ofSeconds(8))
                        .requestTimeout(Duration.ofSeconds(2)).safetyMargin(Duration.ofSeconds(1)).build());
        assertTrue(e.getMessage().contains("renewInterval (8000 ms) + requestTimeout (2000 ms) = 10000 ms must be less than"
                + " ttl (10000 ms) - safetyMargin (1000 ms) = 9000 ms"), e.getMessage());
    }

    @Test
    void aLeaseRequiredConfigurationRefusesABackendThatCannotCompareAndSwap() {
        RemoteBackend transportOnly = new RemoteBackend() {
            @Override
            public String name() {
                return "snapshot-only";
            }

            @Override
            public boolean download(String key, Path localPath) {
                return false;
            }

            @Override
            public void upload(Path localPath, String key) {
            }

            @Override
            public boolean exists(String key) {
                return false;
            }

            @Override
            public void delete(String key) {
            }

            @Override
            public List<String> list(String prefix) {
                return List.of();
            }
        };
        LeaseConfigurationException e = assertThrows(LeaseConfigurationException.class,
                () -> LeaseManager.builderRequiringLease(transportOnly, "a"));
        assertTrue(e.getMessage().contains("snapshot-only") && e.getMessage().contains("refusing to start"), e.getMessage());
    }

    @Test
    void aCorruptRecordFailsTheAcquisitionAndIsLeftAlone() {
        store.put("leases/writer", "not json".getBytes(StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
        LeaseRecordException e = assertThrows(LeaseRecordException.class, () -> manager("a").tryAcquire("writer"));
        assertTrue(e.getMessage().contains("leases/writer") && e.getMessage().contains("not JSON"), e.getMessage());
        assertEquals("not json", new String(store.read("leases/writer").orElseThrow().value(), StandardCharsets.UTF_8));
    }

    @Test
    void closingTheManagerReleasesItsLeases() throws Exception {
        LeaseManager a = manager("a");
        Lease lease = a.tryAcquire("writer").orElseThrow();
        a.close();
        assertFalse(lease.isValid());
        assertThrows(LeaseLostException.class, lease::checkValid);
        assertTrue(LeaseRecordCodec.decode("leases/writer", store.read("leases/writer").orElseThrow().value()).released());
    }
}
