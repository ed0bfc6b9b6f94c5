package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The production lease stack above the machine (LeaseManager, its driver, the batching of backend
 * calls, the election) run in the simulator: every fault, every checker, and each driver mutation
 * caught.
 */
class DriverSimulationTest {

    @Test
    void seedsWithEveryFaultPass() {
        long calls = 0;
        long shutdowns = 0;
        long hung = 0;
        long elections = 0;
        long checked = 0;
        int busiest = 0;
        for (long seed = 1; seed <= 20; seed++) {
            DriverSimulation.Result r = DriverSimulation.of(seed, Optional.empty()).run();
            assertTrue(r.passed(), "seed " + seed + ": " + r.violations());
            calls += r.calls();
            shutdowns += r.poolShutdowns();
            hung += r.hungCalls();
            elections += r.elections();
            checked += r.linearizedOperations();
            busiest = Math.max(busiest, r.busiestSecond());
        }
        // The faults the run claims happened, did.
        assertTrue(calls > 20 * 1000, "backend calls: " + calls);
        assertTrue(shutdowns > 20, "pool shutdowns: " + shutdowns);
        assertTrue(hung > 20, "hung calls: " + hung);
        assertTrue(elections > 20 * 3 * DriverSimulation.LEASES, "elections: " + elections);
        assertTrue(busiest > 0 && busiest <= DriverSimulation.BUSY_LIMIT, "wake-ups in the busiest second: " + busiest);
        assertTrue(checked > calls / 2, "store operations in the linearizability check: " + checked + " of " + calls + " calls");
    }

    @Test
    void noPoolThreadOutlivesItsRun() {
        for (long seed = 1; seed <= 5; seed++) {
            DriverSimulation.of(seed, Optional.empty()).run();
        }
        // Every pool thread of every incarnation ends with its node (a crash) or its run: none is left parked.
        // (A thread past its last hand-over may still be on its way out: only a parked one is left behind.)
        List<String> left = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().matches("n\\d+\\.\\d+-io-\\d+") && t.getState() == Thread.State.WAITING)
                .map(Thread::getName).toList();
        assertTrue(left.isEmpty(), "pool threads left after the runs: " + left);
    }

    @Test
    void aRunnerLeftInterruptedByItsCallStartsNoOther() {
        // Without shutdownNow: a call that gives up with its thread's interrupt flag set (a fault of the
        // store's client), then the runner that ignores the flag starts the next call on that thread.
        List<String> found = new ArrayList<>();
        for (long seed = 1; seed <= 40 && found.isEmpty(); seed++) {
            DriverSimulation.Result r = DriverSimulation.of(seed, Optional.of(DriverMutation.RUNNER_IGNORES_INTERRUPT)).run();
            r.violations().stream().filter(v -> v.checker().equals(DriverSimulation.CALL_WHEN_INTERRUPTED)).forEach(v -> found.add(v.detail()));
        }
        assertTrue(!found.isEmpty(), "a call on an interrupted thread was not caught in 40 seeds");
    }

    @Test
    void theSameSeedGivesTheSameHistory() {
        DriverSimulation.Result a = DriverSimulation.of(7, Optional.empty()).run();
        DriverSimulation.Result b = DriverSimulation.of(7, Optional.empty()).run();
        assertEquals(a.log(), b.log());
        assertEquals(a.calls(), b.calls());
        DriverSimulation.Result c = DriverSimulation.of(8, Optional.empty()).run();
        assertTrue(a.historyHash() != c.historyHash(), "another seed, another history");
    }

    @ParameterizedTest
    @EnumSource(DriverMutation.class)
    void everyMutationIsCaught(DriverMutation mutation) {
        String expected = switch (mutation) {
            case RUNNER_IGNORES_INTERRUPT -> DriverSimulation.CALL_AFTER_SHUTDOWN;
            case RELEASE_BEFORE_INVALIDATE -> DriverSimulation.MUTUAL_EXCLUSION;
            case NO_STALL_CHECK -> DriverSimulation.CALLS_WAIT;
            case CANCEL_KEEPS_ATTEMPT -> DriverSimulation.HELD_FOR_NOBODY;
            case STALL_CHECK_FOREVER -> DriverSimulation.BUSY;
            case LEADER_IGNORES_LEASE -> DriverSimulation.MUTUAL_EXCLUSION;
            case SHUTDOWN_KEEPS_CALLS -> DriverSimulation.BUSY_AFTER_SHUTDOWN;
        };
        List<String> found = new ArrayList<>();
        for (long seed = 1; seed <= 40 && found.isEmpty(); seed++) {
            DriverSimulation.Result r = DriverSimulation.of(seed, Optional.of(mutation)).run();
            r.violations().stream().filter(v -> v.checker().equals(expected)).forEach(v -> found.add(v.detail()));
        }
        assertTrue(!found.isEmpty(), mutation + " was not caught by " + expected + " in 40 seeds");
    }
}
