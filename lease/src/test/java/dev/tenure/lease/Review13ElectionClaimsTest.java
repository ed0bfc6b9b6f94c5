package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.testing.VirtualTime;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Review of issue 13: documented claims of step-down and the observer, in virtual time. */
class Review13ElectionClaimsTest {

    private final VirtualTime time = new VirtualTime();
    private final List<AutoCloseable> open = new ArrayList<>();

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

    private LeaseManager.Builder builder(dev.tenure.backend.AtomicRemoteBackend store, String holder) {
        return time.drive(LeaseManager.builder(store, holder)
                .ttl(Duration.ofSeconds(10)).renewInterval(Duration.ofSeconds(3)).safetyMargin(Duration.ofSeconds(1))
                .skewMargin(Duration.ofMillis(500)).requestTimeout(Duration.ofMillis(100)).retryPolicy(RetryPolicy.tests())
                .random(new SplittableRandom(holder.hashCode())));
    }

    /**
     * LeaderElection.stepDown: what holds when the release write leaves, even with the callback
     * thread busy (onElected still running, a common place for start-up work): isLeader() and the
     * lease handle are already false, and the listener hears onRevoked(RELEASED) after onElected
     * returns, in order. (The review found the docs promised the listener heard it before the write:
     * that would make the protocol thread wait for a listener; the docs now say what holds.)
     */
    @Test
    void aSteppedDownLeaderIsNoLongerLeaderWhenTheReleaseWriteLeavesAndTheListenerHearsItInOrder() throws Exception {
        AtomicReference<LeaderElection> electionRef = new AtomicReference<>();
        AtomicReference<Lease> leaseRef = new AtomicReference<>();
        AtomicBoolean leaderAtReleaseWrite = new AtomicBoolean();
        AtomicBoolean releaseWritten = new AtomicBoolean();
        InMemoryBackend store = new InMemoryBackend();
        ForwardingAtomicBackend watching = new ForwardingAtomicBackend(store) {
            @Override
            public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
                if (new String(bytes, StandardCharsets.UTF_8).contains("\"released\":true")) {
                    releaseWritten.set(true);
                    Lease held = leaseRef.get();
                    leaderAtReleaseWrite.set(electionRef.get().isLeader() || (held != null && held.isValid()));
                }
                return super.put(key, bytes, condition);
            }
        };
        ExecutorService callbacks = Executors.newSingleThreadExecutor();
        open.add(callbacks::shutdownNow);
        CountDownLatch startUpDone = new CountDownLatch(1);
        CountDownLatch inOnElected = new CountDownLatch(1);
        CountDownLatch revoked = new CountDownLatch(1);
        java.util.List<String> heard = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        LeaseManager a = builder(watching, "a").callbackExecutor(callbacks).build();
        open.add(a);
        electionRef.set(a.elect("writer", new LeaderListener() {
            @Override
            public void onElected(FencingToken token) {
                leaseRef.set(electionRef.get().lease().orElse(null));
                inOnElected.countDown();
                try {
                    startUpDone.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                heard.add("elected");
            }

            @Override
            public void onRevoked(Revocation revocation) {
                heard.add("revoked " + revocation.reason());
                revoked.countDown();
            }
        }));
        LeaderElection election = electionRef.get();
        time.advance(Duration.ofSeconds(1));
        assertTrue(inOnElected.await(10, TimeUnit.SECONDS));
        election.stepDown();
        time.advance(Duration.ofMillis(10));
        assertTrue(releaseWritten.get(), "the step-down wrote the released record");
        assertFalse(leaderAtReleaseWrite.get(), "isLeader() or the lease handle was still true when the release write left");
        startUpDone.countDown();
        assertTrue(revoked.await(10, TimeUnit.SECONDS));
        assertTrue(heard.equals(java.util.List.of("elected", "revoked RELEASED")), heard.toString());
    }

    /**
     * LeaseObserver after its manager closed: the reads stop silently, and the view goes on ageing
     * until it reports the lease expired and no leader, while the leader renews every 3 s.
     */
    @Test
    void anObserverWhoseManagerClosedDoesNotReportALiveLeaseExpired() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        LeaseManager leader = builder(store, "a").build();
        open.add(leader);
        LeaderElection election = leader.elect("writer", token -> {
        });
        time.advance(Duration.ofSeconds(1));
        assertTrue(election.isLeader());
        // The reader's manager owns its threads (as in production) and reads the same virtual clock.
        LeaseManager reader = LeaseManager.builder(store, "reader").clock(time).ttl(Duration.ofSeconds(10))
                .renewInterval(Duration.ofSeconds(3)).safetyMargin(Duration.ofSeconds(1)).skewMargin(Duration.ofMillis(500))
                .requestTimeout(Duration.ofMillis(100)).retryPolicy(RetryPolicy.tests()).build();
        LeaseObserver observer = reader.observe("writer");
        assertTrue(observer.refresh().leader().isPresent());
        reader.close();
        time.advance(Duration.ofSeconds(30));
        assertTrue(election.isLeader(), "the leader renewed all along");
        LeaseObserver.View view = observer.current().orElseThrow();
        assertFalse(view.expired() || view.leader().isEmpty(),
                "the observer stopped reading when its manager closed, yet reports " + view);
    }

    /**
     * docs/operations.md: "No line ... ever carries a secret ... nothing of a record but the lease
     * name, the holder id and the epoch". A corrupt record is quoted (its first 60 bytes) in the
     * ERROR line: whatever object sits at the lease's key (a wrong key prefix pointing at the
     * application's own objects) reaches the log.
     */
    @Test
    void aCorruptRecordsContentIsNotLogged() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        store.put("leases/writer", "aws_secret_access_key=hunter2".getBytes(StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
        dev.tenure.metrics.RecordingLogger log = new dev.tenure.metrics.RecordingLogger("lease", org.slf4j.event.Level.DEBUG);
        dev.tenure.metrics.RecordingLogger requests = new dev.tenure.metrics.RecordingLogger("requests", org.slf4j.event.Level.DEBUG);
        LeaseManager m = builder(store, "a").loggers(log, requests).build();
        open.add(m);
        LeaderElection election = m.elect("writer", token -> {
        });
        time.advance(Duration.ofSeconds(1));
        assertTrue(election.lastFailure().isPresent(), "the election stopped on the corrupt record");
        assertFalse(log.toString().contains("hunter2"), "a record's content reached the log: " + log);
        assertFalse(requests.toString().contains("hunter2"), "a record's content reached the log: " + requests);
    }

    /**
     * leader() after this node stepped down: the record it wrote is released, and a contender
     * seeing another node's released record reports no leader; the node that stepped down goes on
     * naming itself leader for the whole hold-off (a dashboard shows "a leads" while nobody does).
     */
    @Test
    void aNodeThatSteppedDownDoesNotNameItselfLeaderDuringTheHoldOff() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        LeaseManager m = builder(store, "a").build();
        open.add(m);
        LeaderElection election = m.elect("writer", token -> {
        });
        time.advance(Duration.ofSeconds(1));
        assertTrue(election.isLeader());
        election.stepDown(Duration.ofSeconds(20));
        time.advance(Duration.ofSeconds(5));
        assertFalse(election.isLeader());
        assertTrue(election.leader().isEmpty(), "released and holding off, yet leader() = " + election.leader());
    }
}
