package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.testing.VirtualTime;
import dev.tenure.metrics.MicrometerObserver;
import dev.tenure.metrics.RecordingLogger;
import dev.tenure.retry.RetryPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * What an operator sees of a lease manager: its log lines, its health and its meters, driven in
 * virtual time through a failover in which the leader's store refuses every renewal. Timing is
 * the default (ttl 10 s, renew every 3 s, safety margin 1 s, request timeout 2 s): a lease taken at
 * t0 is valid until t0 + 9 s, and its deadline is close with 4 s left (9 - 3 - 2).
 */
class ObservabilityTest {

    private static final Duration MS = Duration.ofMillis(1);
    /** Retries at most 1 s apart, so the last failed retry comes after t0 + 6 s, with the deadline close. */
    private static final RetryPolicy RETRY = new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0, 1000);

    /** Refuses every write while {@code failing}, with a message quoting a URI with credentials in it. */
    static final class FlakyBackend extends ForwardingAtomicBackend {
        volatile boolean failing;

        FlakyBackend(AtomicRemoteBackend store) {
            super(store);
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            if (failing) {
                throw BackendException.transport(key, false, "503 SlowDown from https://operator:hunter2@store.example/bucket", null);
            }
            return super.put(key, bytes, condition);
        }
    }

    private final RecordingLogger logA = new RecordingLogger("a", Level.INFO);
    private final RecordingLogger requestsA = new RecordingLogger("a.requests", Level.DEBUG);
    private final RecordingLogger logB = new RecordingLogger("b", Level.INFO);
    private final RecordingLogger requestsB = new RecordingLogger("b.requests", Level.INFO);

    private static final LeaderListener QUIET = new LeaderListener() {
        @Override
        public void onElected(FencingToken token) {
        }

        @Override
        public void onRevoked(RevocationReason reason) {
        }
    };

    @Test
    void aFailoverReadsWellInTheLogsHealthAndMeters() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        FlakyBackend flaky = new FlakyBackend(store);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MicrometerObserver metrics = new MicrometerObserver(registry);
        try (VirtualTime time = new VirtualTime();
                LeaseManager a = time.drive(LeaseManager.builder(flaky, "a")).retryPolicy(RETRY).random(new SplittableRandom(1))
                        .observer(metrics).loggers(logA, requestsA).build();
                LeaseManager b = time.drive(LeaseManager.builder(store, "b")).retryPolicy(RETRY).random(new SplittableRandom(2))
                        .observer(metrics).loggers(logB, requestsB).build()) {
            LeaderElection ea = a.elect("writer", QUIET);
            time.settle();
            LeaderElection eb = b.elect("writer", QUIET);
            time.settle();
            // t0: a holds epoch 1 until t0 + 9 s.
            assertTrue(ea.isLeader());
            assertEquals(1, logA.find(Level.INFO, "lease writer: acquired by a at epoch 1, valid for 9000.0 ms; a is the leader now").size(), logA.toString());
            assertEquals(1, logB.find(Level.INFO, "lease writer: the leader is a at epoch 1").size(), logB.toString());
            assertEquals(1, requestsA.find(Level.DEBUG, "lease writer: acquire leases/writer -> success in ").size(), requestsA.toString());
            assertTrue(requestsB.lines().isEmpty(), "no request lines below DEBUG: " + requestsB);

            time.advance(Duration.ofSeconds(2));
            assertEquals(LeaseHealth.Status.LEADER, ea.health().status());
            assertEquals(Duration.ofSeconds(7), ea.health().timeLeft().orElseThrow());
            assertEquals(LeaseHealth.Status.FOLLOWER, eb.health().status());
            assertEquals(LeaseHealth.Status.LEADER, a.health().status());
            assertEquals(1.0, registry.get("tenure.lease.held").tag("lease", "writer").gauge().value());
            assertEquals(7.0, registry.get("tenure.lease.time.left").tag("lease", "writer").gauge().value(), 1e-9);
            assertTrue(logA.find(Level.WARN).isEmpty(), "renewals succeed: no warning yet: " + logA);

            flaky.failing = true;
            time.advance(Duration.ofSeconds(2)); // t0 + 4 s: the renewal at t0 + 3 s failed, retries go on
            assertEquals(LeaseHealth.Status.RENEWALS_FAILING, ea.health().status(), ea.health().toString());
            assertTrue(ea.health().problem().orElseThrow().contains("503 SlowDown"), ea.health().toString());
            assertEquals(LeaseHealth.Status.RENEWALS_FAILING, a.health().status());
            assertEquals(1, logA.find(Level.WARN, "lease writer: renewal by a at epoch 1 failed: TRANSPORT: 503 SlowDown",
                    "; 6000.0 ms left before the deadline").size(), logA.toString());
            assertFalse(requestsA.find(Level.DEBUG, "lease writer: renew leases/writer -> unavailable in ", "(TRANSPORT: 503 SlowDown").isEmpty(),
                    requestsA.toString());

            time.advance(Duration.ofMillis(1500)); // t0 + 5.5 s: 3.5 s left, no renewal confirmed
            assertEquals(LeaseHealth.Status.DEADLINE_CLOSE, ea.health().status(), ea.health().toString());
            assertEquals(Duration.ofMillis(3500), ea.health().timeLeft().orElseThrow());
            assertEquals(LeaseHealth.Status.DEADLINE_CLOSE, a.health().status());
            assertFalse(a.health().healthy());

            time.advance(Duration.ofSeconds(2)); // t0 + 7.5 s: the last retry has failed
            assertFalse(logA.find(Level.WARN, "lease writer: deadline close for a at epoch 1: ", " ms left and no renewal confirmed").isEmpty(),
                    logA.toString());

            time.advance(Duration.ofSeconds(2)); // t0 + 9.5 s: the deadline passed
            assertFalse(ea.isLeader());
            assertEquals(1, logA.find(Level.INFO, "lease writer: revoked from a at epoch 1: STORE_UNREACHABLE",
                    "a is no longer the leader").size(), logA.toString());
            assertEquals(LeaseHealth.Status.FOLLOWER, ea.health().status());
            assertEquals(0.0, registry.get("tenure.lease.held").tag("lease", "writer").gauge().value());
            assertTrue(Double.isNaN(registry.get("tenure.lease.time.left").tag("lease", "writer").gauge().value()));

            time.advance(Duration.ofSeconds(10)); // b takes over once a's last record expired on its clock
            assertTrue(eb.isLeader(), logB.toString());
            assertEquals(1, logB.find(Level.INFO, "lease writer: acquired by b at epoch 2", "b is the leader now").size(), logB.toString());
            assertEquals(1, logA.find(Level.INFO, "lease writer: the leader is b at epoch 2").size(), logA.toString());

            // Meters: tagged by lease name and closed sets only.
            assertEquals(2.0, registry.get("tenure.lease.acquisitions").tag("lease", "writer").counter().count());
            assertEquals(1.0, registry.get("tenure.lease.revocations").tag("lease", "writer").tag("reason", "store_unreachable").counter().count());
            assertTrue(registry.get("tenure.lease.renewal.failures").tag("lease", "writer").counter().count() >= 3);
            assertEquals(2, registry.get("tenure.lease.requests").tag("operation", "acquire").tag("outcome", "success").timer().count());
            assertTrue(registry.get("tenure.lease.requests").tag("operation", "renew").tag("outcome", "unavailable").timer().count() >= 3);
            assertTrue(registry.get("tenure.lease.requests").tag("operation", "renew").tag("outcome", "success").timer().count() >= 1);
            assertTrue(registry.get("tenure.lease.requests").tag("operation", "read").tag("outcome", "success").timer().count() >= 1);
            assertEquals(1.0, registry.get("tenure.lease.held").tag("lease", "writer").gauge().value());
            assertTrue(registry.getMeters().stream().flatMap(m -> m.getId().getTags().stream())
                    .noneMatch(t -> t.getValue().equals("a") || t.getValue().equals("b")), "no holder id is a tag");

            // No secret ever reaches a line; the URI keeps its host.
            for (RecordingLogger log : new RecordingLogger[] {logA, requestsA, logB}) {
                assertTrue(log.lines().stream().noneMatch(l -> l.contains("hunter2") || l.contains("operator:")), log.toString());
            }
            assertFalse(logA.find(Level.WARN, "https://***@store.example/bucket").isEmpty(), logA.toString());

            ea.close();
            assertEquals(LeaseHealth.Status.STOPPED, ea.health().status());
            a.close();
            assertEquals(LeaseHealth.Status.STOPPED, a.health().status());
            assertEquals(LeaseHealth.Status.LEADER, b.health().status());
            eb.close();
            assertEquals(1, logB.find(Level.INFO, "lease writer: released by b at epoch 2").size(), logB.toString());
            assertEquals(1.0, registry.get("tenure.lease.releases").tag("lease", "writer").counter().count());
        }
    }

    @Test
    void aPlainLeaseLogsAcquiredAndReleasedAndTheManagerListsIt() throws Exception {
        try (VirtualTime time = new VirtualTime();
                LeaseManager m = time.drive(LeaseManager.builder(new InMemoryBackend(), "n1")).loggers(logA, requestsA).build()) {
            assertEquals(LeaseHealth.Status.FOLLOWER, m.health().status());
            assertTrue(m.health().leases().isEmpty());
            Lease lease = m.tryAcquire("jobs").orElseThrow();
            assertEquals(1, logA.find(Level.INFO, "lease jobs: acquired by n1 at epoch 1, valid for 9000.0 ms").size(), logA.toString());
            assertFalse(logA.lines().get(0).contains("leader"), "a plain lease is no election: " + logA);
            LeaseManagerHealth health = m.health();
            assertEquals(1, health.leases().size());
            assertEquals(new FencingToken("jobs", 1), health.leases().get(0).token().orElseThrow());
            assertEquals(LeaseHealth.Status.LEADER, health.status());
            lease.release();
            assertEquals(1, logA.find(Level.INFO, "lease jobs: released by n1 at epoch 1").size(), logA.toString());
            assertTrue(m.health().leases().isEmpty());
            assertTrue(requestsA.find(Level.DEBUG, "lease jobs: release leases/jobs -> success").size() == 1, requestsA.toString());
        }
    }

    @Test
    void anObserverThatThrowsNeverStopsTheLease() throws Exception {
        dev.tenure.metrics.TenureObserver broken = new dev.tenure.metrics.TenureObserver() {
            @Override
            public void leaseRequest(String lease, Operation operation, Outcome outcome, Duration latency) {
                throw new IllegalStateException("broken observer");
            }

            @Override
            public void leaseAcquired(String lease, long epoch) {
                throw new IllegalStateException("broken observer");
            }
        };
        try (VirtualTime time = new VirtualTime();
                LeaseManager m = time.drive(LeaseManager.builder(new InMemoryBackend(), "n1")).observer(broken).loggers(logA, requestsA)
                        .build()) {
            // Bounded: an observer that broke the protocol would leave the answer unposted and the call waiting for good.
            java.util.concurrent.CompletableFuture<java.util.Optional<Lease>> attempt = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return m.tryAcquire("jobs");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Lease lease = attempt.get(10, java.util.concurrent.TimeUnit.SECONDS).orElseThrow();
            time.advance(Duration.ofSeconds(30));
            assertTrue(lease.isValid(), "renewed all along: " + logA);
            assertEquals(LeaseHealth.Status.LEADER, m.health().status());
            assertFalse(logA.find(Level.WARN, "the metrics observer", "failed: java.lang.IllegalStateException: broken observer").isEmpty(),
                    logA.toString());
        }
    }

    @Test
    void aCorruptRecordStopsTheElectionWithAnErrorLineAndStoppedHealth() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        store.put("leases/writer", "{not json".getBytes(java.nio.charset.StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
        try (VirtualTime time = new VirtualTime();
                LeaseManager m = time.drive(LeaseManager.builder(store, "n1")).loggers(logA, requestsA).build();
                LeaderElection e = m.elect("writer", QUIET)) {
            time.settle();
            assertEquals(1, logA.find(Level.ERROR, "lease writer: the election of n1 stopped and does not contend any more").size(), logA.toString());
            assertEquals(LeaseHealth.Status.STOPPED, e.health().status());
            assertEquals(LeaseHealth.Status.STOPPED, m.health().status());
            assertTrue(m.health().leases().get(0).problem().isPresent());
        }
    }

    @Test
    void aStoreThatRefusesAnElectionIsAWarningAndTheElectionGoesOn() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        boolean[] refuse = {true};
        AtomicRemoteBackend refusing = new ForwardingAtomicBackend(store) {
            @Override
            public java.util.Optional<dev.tenure.backend.Versioned<byte[]>> read(String key) {
                if (refuse[0]) {
                    throw BackendException.auth(key, "403 Forbidden", null);
                }
                return super.read(key);
            }
        };
        try (VirtualTime time = new VirtualTime();
                LeaseManager m = time.drive(LeaseManager.builder(refusing, "n1").retryPolicy(RetryPolicy.tests())).loggers(logA, requestsA).build();
                LeaderElection e = m.elect("writer", QUIET)) {
            time.advance(Duration.ofSeconds(5));
            assertFalse(logA.find(Level.WARN, "lease writer: the store refused n1: AUTH").isEmpty(), logA.toString());
            assertTrue(logA.find(Level.ERROR, "stopped").isEmpty(), "a refusal does not stop the election: " + logA);
            assertTrue(e.isContending());
            refuse[0] = false;
            time.advance(Duration.ofSeconds(30));
            assertTrue(e.isLeader(), "the election recovered once the store accepted: " + logA);
        }
    }
}
