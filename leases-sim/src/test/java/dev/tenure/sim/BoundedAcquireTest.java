package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Deadline-bound attempts and attempts let go in flight ({@link Fault#BOUNDED_ACQUIRE}) among every
 * other fault: no attempt answers "not acquired" while its own unresolved write is the record, and
 * none writes an acquisition after it let go.
 */
class BoundedAcquireTest {

    @Test
    void boundedAttemptsAmongEveryFaultKeepEveryProperty() {
        int seeds = Integer.getInteger("tenure.sim.bounded.seeds", 200);
        List<String> failures = new ArrayList<>();
        int bounded = 0;
        for (long seed = 1; seed <= seeds; seed++) {
            SimulationResult r = new Simulation(SimulationConfig.defaults(seed).withoutLedger()).run();
            if (r.log().stream().anyMatch(l -> l.contains("lets go of its attempt"))) {
                bounded++;
            }
            if (!r.ok()) {
                failures.add("seed " + seed + ": " + r.violations());
            }
        }
        System.out.printf("[sim] %d seeds with bounded attempts: %d let go in flight, %d violations%n", seeds, bounded, failures.size());
        assertTrue(bounded > 0, "the fault ran");
        assertEquals(List.of(), failures.size() > 5 ? failures.subList(0, 5) : failures);
    }
}
