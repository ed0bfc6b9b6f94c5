package dev.tenure.metrics;

import dev.tenure.lease.LeaseHealth;
import dev.tenure.lease.LeaseManagerHealth;
import dev.tenure.lease.RevocationReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The Micrometer binding of {@link TenureObserver}: give one to every lease manager, ledger and
 * snapshot store of the application (one instance may serve them all). Needs
 * {@code io.micrometer:micrometer-core} on the class path, which Tenure declares optional: an
 * application that never names this class never needs the jar.
 *
 * <pre>{@code
 * MicrometerObserver metrics = new MicrometerObserver(registry);
 * LeaseManager leases = LeaseManager.builder(backend, "replica-1").observer(metrics).build();
 * Ledger ledger = Ledger.open(backend, "log", LedgerOptions.defaults().withObserver(metrics));
 * }</pre>
 *
 * <p>Meters (Micrometer names; a Prometheus registry turns {@code tenure.lease.requests} into
 * {@code tenure_lease_requests_seconds}): tags are the lease, ledger or snapshot name and small
 * closed sets (operation, outcome, reason), never a holder or writer id.
 * <ul>
 * <li>{@code tenure.lease.held} gauge {lease}: managers of this process holding the lease (0 or 1 each);
 *     registered when the lease is first taken, removed with {@code tenure.lease.time.left} once it is
 *     released or lost and no manager of this process holds it or runs an election on it
 * <li>{@code tenure.lease.time.left} gauge {lease}, seconds: time left to the deadline of the held lease; NaN when not held
 * <li>{@code tenure.lease.requests} timer {lease, operation, outcome}: every request to the store, by
 *     operation (read, acquire, renew, release) and outcome (success, conflict, unavailable, ambiguous, rejected)
 * <li>{@code tenure.lease.acquisitions}, {@code tenure.lease.releases} counters {lease}
 * <li>{@code tenure.lease.revocations} counter {lease, reason}
 * <li>{@code tenure.lease.renewal.failures} counter {lease}: failed renewal attempts
 * <li>{@code tenure.ledger.appends} timer {ledger, outcome}: from append to acknowledgement (or failure)
 * <li>{@code tenure.ledger.pending} gauge {ledger}: appends queued or in flight
 * <li>{@code tenure.ledger.batch.entries}, {@code tenure.ledger.batch.bytes} summaries {ledger}: segment sizes
 * <li>{@code tenure.ledger.writers.fenced} counter {ledger}
 * <li>{@code tenure.snapshot.push}, {@code tenure.snapshot.pull} timers {snapshot}; {@code tenure.snapshot.push.bytes},
 *     {@code tenure.snapshot.pull.bytes} summaries {snapshot}, bytes
 * </ul>
 */
public final class MicrometerObserver implements TenureObserver {

    private final MeterRegistry registry;
    /**
     * Each running lease manager's health, read by the lease gauges. Keyed by the supplier's identity
     * (a manager passes the same object when it starts and stops), not by holder id: two managers
     * with the same holder id are counted separately, and stopping one leaves the other.
     */
    private final Map<Supplier<LeaseManagerHealth>, Boolean> managers = Collections.synchronizedMap(new IdentityHashMap<>());
    /**
     * The gauges registered per lease name. Guarded by itself: registering on acquisition and removing
     * on release must not interleave, or a lease taken again at that moment would lose its gauges.
     */
    private final Map<String, List<Meter>> leaseGauges = new HashMap<>();
    /** Pending appends per ledger; the gauges read these (the registry holds gauges' objects weakly, this map strongly). */
    private final Map<String, AtomicLong> pending = new ConcurrentHashMap<>();

    /** Registers meters in {@code registry} as they are first needed. */
    // "exports": micrometer.core is required statically, not transitively; whoever made the registry reads it already.
    @SuppressWarnings("exports")
    public MicrometerObserver(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    private static String tag(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    // ---- leases --------------------------------------------------------------------------------

    @Override
    public void leaseManagerStarted(String holder, Supplier<LeaseManagerHealth> health) {
        managers.put(health, Boolean.TRUE);
    }

    @Override
    public void leaseManagerStopped(String holder, Supplier<LeaseManagerHealth> health) {
        managers.remove(health);
    }

    /** The running managers' health, copied so that a gauge never reads them while holding the set's lock. */
    private List<Supplier<LeaseManagerHealth>> managers() {
        synchronized (managers) {
            return List.copyOf(managers.keySet());
        }
    }

    private void leaseGauges(String lease) {
        synchronized (leaseGauges) {
            if (leaseGauges.containsKey(lease)) {
                return;
            }
            Gauge held = Gauge.builder("tenure.lease.held", this, m -> m.held(lease))
                    .description("Lease managers of this process holding the lease")
                    .tag("lease", lease).register(registry);
            Gauge left = Gauge.builder("tenure.lease.time.left", this, m -> m.timeLeftSeconds(lease))
                    .description("Time left to the deadline of the held lease; NaN when not held")
                    .baseUnit("seconds").tag("lease", lease).register(registry);
            leaseGauges.put(lease, List.of(held, left));
        }
    }

    /**
     * After {@code lease} was released or lost: removes its gauges when no running manager holds it
     * or runs an election on it, so that names used once do not keep gauges (and this map's entries)
     * for the life of the process. A manager reports the lease gone from its health before calling
     * here, and reports an acquisition in its health before {@link #leaseAcquired}, which waits for
     * this lock: a lease taken again meanwhile is either seen here or registers its gauges anew.
     */
    private void dropIdleGauges(String lease) {
        synchronized (leaseGauges) {
            if (!leaseGauges.containsKey(lease)) {
                return;
            }
            for (Supplier<LeaseManagerHealth> manager : managers()) {
                for (LeaseHealth h : manager.get().leases()) {
                    if (h.name().equals(lease)) {
                        return;
                    }
                }
            }
            for (Meter gauge : leaseGauges.remove(lease)) {
                registry.remove(gauge);
            }
        }
    }

    private double held(String lease) {
        int n = 0;
        for (Supplier<LeaseManagerHealth> manager : managers()) {
            for (LeaseHealth h : manager.get().leases()) {
                if (h.name().equals(lease) && h.token().isPresent()) {
                    n++;
                }
            }
        }
        return n;
    }

    private double timeLeftSeconds(String lease) {
        double best = Double.NaN;
        for (Supplier<LeaseManagerHealth> manager : managers()) {
            for (LeaseHealth h : manager.get().leases()) {
                if (h.name().equals(lease) && h.timeLeft().isPresent()) {
                    double left = h.timeLeft().get().toNanos() / 1e9;
                    best = Double.isNaN(best) ? left : Math.max(best, left);
                }
            }
        }
        return best;
    }

    @Override
    public void leaseRequest(String lease, Operation operation, Outcome outcome, Duration latency) {
        Timer.builder("tenure.lease.requests").description("Requests to the store for a lease, by operation and outcome")
                .tag("lease", lease).tag("operation", tag(operation)).tag("outcome", tag(outcome))
                .register(registry).record(latency);
    }

    @Override
    public void leaseAcquired(String lease, long epoch) {
        leaseGauges(lease);
        Counter.builder("tenure.lease.acquisitions").description("Leases taken by this process")
                .tag("lease", lease).register(registry).increment();
    }

    @Override
    public void leaseReleased(String lease) {
        Counter.builder("tenure.lease.releases").description("Leases released by this process")
                .tag("lease", lease).register(registry).increment();
        dropIdleGauges(lease);
    }

    @Override
    public void leaseRevoked(String lease, RevocationReason reason) {
        Counter.builder("tenure.lease.revocations").description("Leases this process held that ended without a release, by reason")
                .tag("lease", lease).tag("reason", tag(reason)).register(registry).increment();
        dropIdleGauges(lease);
    }

    @Override
    public void leaseRenewalFailed(String lease, Duration timeLeft) {
        Counter.builder("tenure.lease.renewal.failures").description("Failed renewal attempts")
                .tag("lease", lease).register(registry).increment();
    }

    // ---- ledgers -------------------------------------------------------------------------------

    private AtomicLong pending(String ledger) {
        return pending.computeIfAbsent(ledger, l -> {
            AtomicLong count = new AtomicLong();
            Gauge.builder("tenure.ledger.pending", count, AtomicLong::get).description("Appends queued or in flight")
                    .tag("ledger", l).register(registry);
            return count;
        });
    }

    @Override
    public void ledgerAppendQueued(String ledger) {
        pending(ledger).incrementAndGet();
    }

    @Override
    public void ledgerAppendDone(String ledger, boolean acknowledged, Duration latency) {
        pending(ledger).decrementAndGet();
        Timer.builder("tenure.ledger.appends").description("From append to acknowledgement (or failure)")
                .tag("ledger", ledger).tag("outcome", acknowledged ? "acknowledged" : "failed")
                .register(registry).record(latency);
    }

    @Override
    public void ledgerBatch(String ledger, int entries, long bytes) {
        DistributionSummary.builder("tenure.ledger.batch.entries").description("Entries per segment written")
                .tag("ledger", ledger).register(registry).record(entries);
        DistributionSummary.builder("tenure.ledger.batch.bytes").description("Bytes of entries per segment written")
                .baseUnit("bytes").tag("ledger", ledger).register(registry).record(bytes);
    }

    @Override
    public void ledgerWriterFenced(String ledger) {
        Counter.builder("tenure.ledger.writers.fenced").description("Writers stopped by a newer writer's fence")
                .tag("ledger", ledger).register(registry).increment();
    }

    // ---- snapshots -----------------------------------------------------------------------------

    @Override
    public void snapshotPushed(String snapshot, long bytes, Duration took) {
        Timer.builder("tenure.snapshot.push").description("Snapshot flushes: content upload and manifest swap")
                .tag("snapshot", snapshot).register(registry).record(took);
        DistributionSummary.builder("tenure.snapshot.push.bytes").description("Bytes uploaded per flush")
                .baseUnit("bytes").tag("snapshot", snapshot).register(registry).record(bytes);
    }

    @Override
    public void snapshotPulled(String snapshot, long bytes, Duration took) {
        Timer.builder("tenure.snapshot.pull").description("Snapshot downloads, checked against the manifest")
                .tag("snapshot", snapshot).register(registry).record(took);
        DistributionSummary.builder("tenure.snapshot.pull.bytes").description("Bytes downloaded per pull")
                .baseUnit("bytes").tag("snapshot", snapshot).register(registry).record(bytes);
    }
}
