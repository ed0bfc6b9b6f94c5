package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.testing.VirtualTime;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issue 13, listener detail and election ergonomics, in virtual time. */
class ElectionErgonomicsTest {

    /** A store that refuses every request with {@link #error} while {@link #down}. */
    static final class Refusing extends ForwardingAtomicBackend {
        volatile boolean down;
        volatile BackendException error = BackendException.auth("leases/writer", "403 Forbidden: the credentials may not write", null);

        Refusing(AtomicRemoteBackend store) {
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
            if (down || refuseWritesOnly) {
                throw error;
            }
            return super.put(key, bytes, condition);
        }

        volatile boolean refuseWritesOnly;
    }

    /** Every callback, as a line. */
    static final class Recorder implements LeaderListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<Revocation> revocations = new CopyOnWriteArrayList<>();
        final List<ElectionFailure> failures = new CopyOnWriteArrayList<>();

        @Override
        public void onElected(FencingToken token) {
            events.add("elected " + token);
        }

        @Override
        public void onRevoked(Revocation revocation) {
            revocations.add(revocation);
            events.add("revoked " + revocation.reason());
        }

        @Override
        public void onFailed(ElectionFailure failure) {
            failures.add(failure);
            events.add("failed " + failure.getClass().getSimpleName());
        }
    }

    final InMemoryBackend store = new InMemoryBackend();
    final Refusing refusing = new Refusing(store);
    final VirtualTime time = new VirtualTime();
    final ExecutorService callers = Executors.newCachedThreadPool();
    private final List<LeaseManager> managers = new ArrayList<>();

    LeaseManager manager(String holder) {
        LeaseManager m = time.drive(LeaseManager.builder(refusing, holder)
                .ttl(Duration.ofSeconds(10))
                .renewInterval(Duration.ofSeconds(3))
                .safetyMargin(Duration.ofSeconds(1))
                .skewMargin(Duration.ofMillis(500))
                .requestTimeout(Duration.ofMillis(100))
                .retryPolicy(RetryPolicy.tests())
                .random(new SplittableRandom(holder.hashCode())))
                .build();
        managers.add(m);
        return m;
    }

    @AfterEach
    void closeAll() {
        refusing.down = false;
        refusing.refuseWritesOnly = false;
        managers.forEach(LeaseManager::close);
        time.close();
        callers.shutdownNow();
    }

    // ---- item 1: listener detail -----------------------------------------------------------------

    @Test
    void aListenerNeverElectedIsNeverToldRevokedWhenTheRecordIsCorrupt() throws Exception {
        store.put("leases/writer", "{\"format\":\"tenure.lease/1\"}".getBytes(StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
        Recorder listener = new Recorder();
        LeaderElection election = manager("a").elect("writer", listener);
        time.advance(Duration.ofSeconds(1));
        assertEquals(List.of("failed CorruptRecord"), listener.events, "told the typed failure, never a revocation");
        ElectionFailure failure = listener.failures.get(0);
        assertTrue(failure.stopsElection());
        assertInstanceOf(LeaseRecordException.class, failure.getCause());
        assertEquals(LeaderElection.State.FAILED, election.state());
        assertFalse(election.isContending());
        assertInstanceOf(LeaseRecordException.class, election.failure().orElseThrow(), "failure() keeps the first API's value");
        assertSame(failure, election.lastFailure().orElseThrow());
    }

    @Test
    void aSecondElectionOfTheSameNameFailsTypedAndLeavesTheFirstAlone() throws Exception {
        LeaseManager a = manager("a");
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        LeaderElection one = a.elect("writer", first);
        time.advance(Duration.ofSeconds(1));
        LeaderElection two = a.elect("writer", second);
        time.advance(Duration.ofSeconds(1));
        assertEquals(List.of("failed AlreadyInUse"), second.events);
        assertEquals(LeaderElection.State.FAILED, two.state());
        assertEquals(List.of("elected writer@1"), first.events);
        assertEquals(LeaderElection.State.LEADER, one.state());
        assertTrue(one.isContending());
    }

    @Test
    void aStoreRefusingTheElectionIsToldOnceAndTheElectionStillContends() throws Exception {
        refusing.down = true;
        Recorder listener = new Recorder();
        LeaderElection election = manager("a").elect("writer", listener);
        time.advance(Duration.ofSeconds(8));
        assertEquals(List.of("failed StoreRefused"), listener.events, "once per run of refusals, not per retry");
        assertFalse(listener.failures.get(0).stopsElection());
        assertInstanceOf(BackendException.class, listener.failures.get(0).getCause());
        assertEquals(LeaderElection.State.CONTENDING, election.state());
        assertTrue(election.failure().isEmpty());
        refusing.down = false;
        time.advance(Duration.ofSeconds(5));
        assertEquals(List.of("failed StoreRefused", "elected writer@1"), listener.events);
    }

    @Test
    void aRevocationCarriesReasonDetailAndCauseToTheListenerAndToWhenLost() throws Exception {
        Recorder listener = new Recorder();
        LeaderElection election = manager("a").elect("writer", listener);
        time.advance(Duration.ofSeconds(1));
        Lease lease = election.lease().orElseThrow();
        refusing.down = true;
        time.advance(Duration.ofSeconds(4));
        // Revoked, then (contending again against the same refusing store) told of the refusal once.
        assertEquals(List.of("elected writer@1", "revoked STORE_REJECTED", "failed StoreRefused"), listener.events);
        assertEquals(LeaderElection.State.CONTENDING, election.state());
        Revocation r = listener.revocations.get(0);
        assertEquals(new FencingToken("writer", 1), r.token());
        assertTrue(r.detail().contains("403"), r.detail());
        assertInstanceOf(BackendException.class, r.cause().orElseThrow());
        assertFalse(r.released());
        Revocation lost = lease.whenLost().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(RevocationReason.STORE_REJECTED, lost.reason());
        assertSame(r.cause().orElseThrow(), lost.cause().orElseThrow());
        assertEquals(Optional.of(lost), lease.revocation());
        assertFalse(lease.isValid());
        IllegalStateException unchecked = assertThrows(IllegalStateException.class, lease::requireValid);
        assertInstanceOf(LeaseLostException.class, unchecked.getCause());
    }

    @Test
    void aListenerWrittenForTheFirstApiStillHearsTheReason() throws Exception {
        List<RevocationReason> reasons = new CopyOnWriteArrayList<>();
        LeaderElection election = manager("a").elect("writer", new LeaderListener() {
            @Override
            public void onElected(FencingToken token) {
            }

            @Override
            public void onRevoked(RevocationReason reason) {
                reasons.add(reason);
            }
        });
        time.advance(Duration.ofSeconds(1));
        assertTrue(election.isLeader());
        refusing.down = true;
        time.advance(Duration.ofSeconds(4));
        assertEquals(List.of(RevocationReason.STORE_REJECTED), reasons);
    }

    @Test
    void closingAnElectionWhileLeaderTellsTheListenerReleased() throws Exception {
        Recorder listener = new Recorder();
        LeaderElection election = manager("a").elect("writer", listener);
        time.advance(Duration.ofSeconds(1));
        election.close();
        time.settle();
        assertEquals(List.of("elected writer@1", "revoked RELEASED"), listener.events);
        assertEquals("the election was closed", listener.revocations.get(0).detail());
        assertEquals(LeaderElection.State.CLOSED, election.state());
    }

    // ---- item 2: ergonomics ----------------------------------------------------------------------

    @Test
    void awaitLeadershipReturnsTheTokenOrEmptyAtTheTimeoutOnTheManagersClock() throws Exception {
        LeaseManager a = manager("a");
        LeaseManager b = manager("b");
        LeaderElection ea = a.elect("writer", token -> {
        });
        Future<Optional<FencingToken>> waitA = callers.submit(() -> ea.awaitLeadership(Duration.ofSeconds(30)));
        time.advance(Duration.ofSeconds(1));
        assertEquals(Optional.of(new FencingToken("writer", 1)), waitA.get(10, TimeUnit.SECONDS));
        LeaderElection eb = b.elect("writer", token -> {
        });
        CompletableFuture<FencingToken> waitB = eb.leadership(Duration.ofSeconds(5));
        time.advance(Duration.ofSeconds(4));
        assertFalse(waitB.isDone(), "5 s of the manager's clock have not passed");
        time.advance(Duration.ofSeconds(2));
        assertEquals(null, waitB.get(10, TimeUnit.SECONDS), "a timeout is a plain outcome");
        assertEquals(Optional.empty(), eb.awaitLeadership(Duration.ZERO));
        eb.close();
        assertThrows(IllegalStateException.class, () -> eb.awaitLeadership(Duration.ofSeconds(1)));
    }

    @Test
    void awaitLeadershipThrowsTheTypedFailureOfAStoppedElection() throws Exception {
        store.put("leases/writer", "not json".getBytes(StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
        LeaderElection election = manager("a").elect("writer", token -> {
        });
        CompletableFuture<FencingToken> waiting = election.leadership(Duration.ofSeconds(30));
        time.advance(Duration.ofSeconds(1));
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ElectionFailure.CorruptRecord.class, e.getCause());
        assertThrows(ElectionFailure.CorruptRecord.class, () -> election.awaitLeadership(Duration.ofSeconds(1)));
    }

    @Test
    void aLeaderStepsDownStaysInTheElectionAndAnotherTakesOver() throws Exception {
        LeaseManager a = manager("a");
        LeaseManager b = manager("b");
        Recorder la = new Recorder();
        Recorder lb = new Recorder();
        LeaderElection ea = a.elect("writer", la);
        time.advance(Duration.ofSeconds(1));
        LeaderElection eb = b.elect("writer", lb);
        time.advance(Duration.ofSeconds(1));
        Lease first = ea.lease().orElseThrow();
        ea.stepDown(Duration.ofSeconds(20));
        time.settle();
        assertFalse(ea.isLeader(), "not leader from the step-down on");
        assertEquals(List.of("elected writer@1", "revoked RELEASED"), la.events);
        assertTrue(first.whenLost().toCompletableFuture().get(10, TimeUnit.SECONDS).released());
        assertEquals(LeaderElection.State.CONTENDING, ea.state(), "still in the election");
        time.advance(Duration.ofSeconds(4)); // b polls every renew interval and takes the released record at once
        assertTrue(eb.isLeader(), lb.events.toString());
        assertEquals(2, eb.token().orElseThrow().epoch());
        // a contends again after its hold-off: when b leaves, a takes over without a new elect().
        time.advance(Duration.ofSeconds(20));
        eb.close();
        time.advance(Duration.ofSeconds(4));
        assertTrue(ea.isLeader(), la.events.toString());
        assertEquals(List.of("elected writer@1", "revoked RELEASED", "elected writer@3"), la.events);
    }

    @Test
    void aStepDownHoldsOffBeforeTakingTheLeaseBackWhenNobodyElseContends() throws Exception {
        Recorder la = new Recorder();
        LeaderElection ea = manager("a").elect("writer", la);
        time.advance(Duration.ofSeconds(1));
        ea.stepDown(Duration.ofSeconds(10));
        time.advance(Duration.ofSeconds(9));
        assertFalse(ea.isLeader(), "held off");
        time.advance(Duration.ofSeconds(2));
        assertTrue(ea.isLeader(), la.events.toString());
        assertEquals(2, ea.token().orElseThrow().epoch(), "a new term at the next epoch");
    }

    @Test
    void releasingTheLeaseOfAnElectionStepsDownAndTheElectionKeepsContending() throws Exception {
        Recorder la = new Recorder();
        LeaderElection ea = manager("a").elect("writer", la);
        time.advance(Duration.ofSeconds(1));
        ea.lease().orElseThrow().release();
        time.settle();
        assertEquals(List.of("elected writer@1", "revoked RELEASED"), la.events);
        assertEquals(LeaderElection.State.CONTENDING, ea.state());
        time.advance(Duration.ofSeconds(11)); // held off one TTL, then contends again
        assertTrue(ea.isLeader(), "an election contends until it is closed: " + la.events);
        assertEquals(2, ea.token().orElseThrow().epoch());
    }

    @Test
    void isLeaderIsNeverTrueOnAnotherThreadBeforeOnElectedHasReturned() throws Exception {
        CountDownLatch inOnElected = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        AtomicBoolean returned = new AtomicBoolean();
        AtomicReference<Boolean> leaderInside = new AtomicReference<>();
        CompletableFuture<LeaderElection> self = new CompletableFuture<>();
        LeaderElection election = manager("a").elect("writer", token -> {
            leaderInside.set(self.join().isLeader());
            inOnElected.countDown();
            try {
                letGo.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            returned.set(true);
        });
        self.complete(election);
        // A racing thread: whenever it sees isLeader() true, onElected must have returned.
        AtomicBoolean early = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        Future<?> racer = callers.submit(() -> {
            while (!stop.get()) {
                if (election.isLeader() && !returned.get()) {
                    early.set(true);
                }
            }
        });
        Future<?> advancing = callers.submit(() -> {
            time.advance(Duration.ofSeconds(1));
            return null;
        });
        assertTrue(inOnElected.await(10, TimeUnit.SECONDS));
        for (int i = 0; i < 1000; i++) {
            assertFalse(election.isLeader(), "onElected is still running");
            assertTrue(election.token().isEmpty());
        }
        letGo.countDown();
        advancing.get(10, TimeUnit.SECONDS);
        stop.set(true);
        racer.get(10, TimeUnit.SECONDS);
        assertTrue(leaderInside.get(), "the listener itself sees isLeader() true inside onElected");
        assertTrue(election.isLeader());
        assertFalse(early.get(), "another thread saw isLeader() true before onElected returned");
    }

    @Test
    void awaitLeadershipInsideOnElectedReturnsTheNewTermAtOnce() throws Exception {
        CompletableFuture<LeaderElection> self = new CompletableFuture<>();
        AtomicReference<Optional<FencingToken>> inside = new AtomicReference<>();
        LeaderElection election = manager("a").elect("writer", token -> inside.set(self.join().awaitLeadership(Duration.ofSeconds(5))));
        self.complete(election);
        time.advance(Duration.ofSeconds(1));
        assertEquals(Optional.of(new FencingToken("writer", 1)), inside.get(), "no wait for its own return");
    }

    @Test
    void anObserverSeesHolderEpochReleaseAndAgeWithoutContending() throws Exception {
        LeaseManager reader = manager("reader");
        LeaseObserver observer = reader.observe("writer");
        time.settle();
        LeaseObserver.View nothing = observer.current().orElseThrow();
        assertFalse(nothing.exists());
        LeaseManager a = manager("a");
        Lease lease = a.acquire("writer", Duration.ofSeconds(5));
        time.advance(Duration.ofSeconds(3));
        LeaseObserver.View held = observer.current().orElseThrow();
        assertEquals(Optional.of("a"), held.leader());
        assertEquals(1, held.epoch());
        assertFalse(held.released());
        assertFalse(held.expired());
        lease.release();
        time.advance(Duration.ofSeconds(3));
        LeaseObserver.View released = observer.current().orElseThrow();
        assertTrue(released.released());
        assertEquals(Optional.empty(), released.leader());
        assertEquals(1, released.epoch(), "release keeps the epoch");
        // A holder whose writes stop landing: the record stays unchanged; after ttl + skew margin on this clock it reads as expired.
        Lease again = a.acquire("writer", Duration.ofSeconds(5));
        time.settle();
        refusing.refuseWritesOnly = true;
        time.advance(Duration.ofSeconds(4));
        assertFalse(observer.current().orElseThrow().expired());
        assertEquals(2, observer.current().orElseThrow().epoch());
        // Polls come every renew interval (3 s): the version may be up to one interval older than the observer says.
        time.advance(Duration.ofSeconds(11));
        LeaseObserver.View dead = observer.current().orElseThrow();
        assertTrue(dead.expired(), dead.toString());
        assertTrue(dead.unchangedFor().compareTo(Duration.ofMillis(10_500)) >= 0, dead.toString());
        assertEquals(Optional.empty(), dead.leader());
        assertEquals(Optional.of("a"), dead.holder());
        assertTrue(store.read("leases/writer").orElseThrow().value().length > 0);
        assertEquals(dead.epoch(), observer.refresh().epoch());
        observer.close();
        assertTrue(again.fencingToken().epoch() == 2);
    }

    @Test
    void asyncAcquireAndReleaseAndWhenLostOnRelease() throws Exception {
        LeaseManager a = manager("a");
        LeaseManager b = manager("b");
        CompletableFuture<Lease> taking = a.acquireAsync("writer", Duration.ofSeconds(5));
        time.settle();
        Lease lease = taking.get(10, TimeUnit.SECONDS);
        assertTrue(lease.isValid());
        CompletableFuture<Lease> other = b.acquireAsync("writer", Duration.ofSeconds(2));
        time.advance(Duration.ofSeconds(3));
        ExecutionException timedOut = assertThrows(ExecutionException.class, () -> other.get(10, TimeUnit.SECONDS));
        assertInstanceOf(TimeoutException.class, timedOut.getCause());
        CompletableFuture<Optional<Lease>> tried = b.tryAcquireAsync("writer");
        time.settle();
        assertEquals(Optional.empty(), tried.get(10, TimeUnit.SECONDS), "held by a");
        CompletableFuture<Void> released = lease.releaseAsync();
        assertFalse(lease.isValid(), "invalid at once");
        time.settle();
        released.get(10, TimeUnit.SECONDS);
        Revocation end = lease.whenLost().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(end.released());
        assertEquals(RevocationReason.RELEASED, end.reason());
        CompletableFuture<Optional<Lease>> again = b.tryAcquireAsync("writer");
        time.settle();
        Optional<Lease> next = again.get(10, TimeUnit.SECONDS);
        assertEquals(2, next.orElseThrow().fencingToken().epoch());
    }

    @Test
    void cancellingAnAsyncAcquisitionLetsGoOfIt() throws Exception {
        LeaseManager a = manager("a");
        LeaseManager b = manager("b");
        Lease held = a.acquire("writer", Duration.ofSeconds(5));
        CompletableFuture<Lease> waiting = b.acquireAsync("writer", Duration.ofSeconds(60));
        time.advance(Duration.ofSeconds(1));
        waiting.cancel(false);
        held.release();
        time.advance(Duration.ofSeconds(10));
        assertEquals("a", new String(store.read("leases/writer").orElseThrow().value(), StandardCharsets.UTF_8)
                .replaceAll(".*\"holder\":\"([^\"]*)\".*", "$1"), "b let go: it never took the released record");
        assertTrue(b.tryAcquire("writer").isPresent(), "and the name is free for b again");
    }
}
