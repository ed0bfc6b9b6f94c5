package dev.tenure.sim;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One simulation run.
 *
 * @param seed the seed; the same seed gives the same history
 * @param nodes how many lease holders contend
 * @param duration virtual time to run; faults stop at 60% of it so liveness can be checked
 * @param faults which faults to inject
 * @param mutation an optional deliberate bug
 * @param ttl lease TTL (renew interval ttl/4, safety margin ttl/5, skew margin ttl/10, request timeout ttl/4)
 * @param maxDrift bound on clock-rate drift, as a fraction (0.02 = 2%)
 * @param ledger whether leaders also append to a fenced ledger, and readers follow it
 */
public record SimulationConfig(long seed, int nodes, Duration duration, Set<Fault> faults, Optional<Mutation> mutation,
        Duration ttl, double maxDrift, boolean ledger) {

    /** A run without ledger writers. */
    public SimulationConfig(long seed, int nodes, Duration duration, Set<Fault> faults, Optional<Mutation> mutation,
            Duration ttl, double maxDrift) {
        this(seed, nodes, duration, faults, mutation, ttl, maxDrift, false);
    }

    /** Validates the numbers. */
    public SimulationConfig {
        Objects.requireNonNull(duration, "duration");
        faults = faults.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(faults));
        Objects.requireNonNull(mutation, "mutation");
        if (nodes < 2 || nodes > 64) {
            throw new IllegalArgumentException("nodes must be 2..64, not " + nodes);
        }
        if (duration.toMillis() < 10 * ttl.toMillis()) {
            throw new IllegalArgumentException("duration must be at least 10 TTLs (" + 10 * ttl.toMillis() + " ms)");
        }
        if (maxDrift < 0 || maxDrift > 0.2) {
            throw new IllegalArgumentException("maxDrift must be within 0..0.2, not " + maxDrift);
        }
    }

    /** Every fault at once. */
    public static Set<Fault> mixed() {
        return EnumSet.allOf(Fault.class);
    }

    /** A run with 5 nodes, 60 s of virtual time, every fault, a 1 s TTL, 2% drift, and leaders appending to a ledger. */
    public static SimulationConfig defaults(long seed) {
        return new SimulationConfig(seed, 5, Duration.ofSeconds(60), mixed(), Optional.empty(), Duration.ofSeconds(1), 0.02, true);
    }

    /** The same run with another seed. */
    public SimulationConfig withSeed(long newSeed) {
        return new SimulationConfig(newSeed, nodes, duration, faults, mutation, ttl, maxDrift, ledger);
    }

    /** The same run with a mutation. */
    public SimulationConfig withMutation(Mutation m) {
        return new SimulationConfig(seed, nodes, duration, faults, Optional.of(m), ttl, maxDrift, ledger);
    }

    /** The same run without the ledger (lease-only checks run faster). */
    public SimulationConfig withoutLedger() {
        return new SimulationConfig(seed, nodes, duration, faults, mutation, ttl, maxDrift, false);
    }

    /** The same run with other faults. */
    public SimulationConfig withFaults(Set<Fault> other) {
        return new SimulationConfig(seed, nodes, duration, other, mutation, ttl, maxDrift, ledger);
    }

    /** The same run with another drift bound. */
    public SimulationConfig withMaxDrift(double drift) {
        return new SimulationConfig(seed, nodes, duration, faults, mutation, ttl, drift, ledger);
    }

    boolean has(Fault f) {
        return faults.contains(f);
    }
}
