package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * jqwik generates fault schedules; a failing one is shrunk to a minimal one. The correct protocol
 * survives every schedule; a mutated one is caught with a schedule of one or two faults.
 */
class FaultSchedulePropertiesTest {

    private static final EnumSet<Fault> NETWORK = EnumSet.of(Fault.LATENCY, Fault.DROP, Fault.AMBIGUOUS, Fault.ERRORS, Fault.DRIFT);

    @Provide
    Arbitrary<List<ScheduledFault>> schedules() {
        Arbitrary<ScheduledFault> fault = Combinators.combine(
                Arbitraries.longs().between(500, 17_000),
                Arbitraries.of(Fault.PARTITION, Fault.PAUSE, Fault.CRASH, Fault.HANDOVER, Fault.STEP_DOWN),
                Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 2),
                Arbitraries.longs().between(100, 3000)).as(ScheduledFault::new);
        return fault.list().ofMaxSize(12);
    }

    private static SimulationConfig config(long seed, Optional<Mutation> mutation) {
        return new SimulationConfig(seed, 3, Duration.ofSeconds(30), NETWORK, mutation, Duration.ofSeconds(1), 0.02);
    }

    @Property(tries = 60)
    void theProtocolSurvivesEveryFaultSchedule(@ForAll("schedules") List<ScheduledFault> schedule,
            @ForAll("seeds") long seed) {
        SimulationResult r = new Simulation(config(seed, Optional.empty()), schedule).run();
        assertTrue(r.ok(), () -> "seed " + seed + ", schedule " + schedule + ": " + r.violations());
    }

    @Property(tries = 200, seed = "7")
    @AddLifecycleHook(ExpectShrunkCounterexample.class)
    void retryingPastTheDeadlineIsCaughtAndShrunkToAMinimalSchedule(@ForAll("schedules") List<ScheduledFault> schedule) {
        SimulationResult r = new Simulation(config(11, Optional.of(Mutation.RETRY_PAST_DEADLINE)), schedule).run();
        assertTrue(r.violations().stream().noneMatch(v -> v.checker().equals(Checkers.MUTUAL_EXCLUSION)), () -> r.violations().toString());
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs().between(1, 1_000_000);
    }
}
