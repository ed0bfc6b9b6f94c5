package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulationTest {

    @Test
    void theSameSeedGivesTheSameHistoryByteForByte() {
        SimulationResult a = new Simulation(SimulationConfig.defaults(42)).run();
        SimulationResult b = new Simulation(SimulationConfig.defaults(42)).run();
        assertEquals(a.log(), b.log());
        assertEquals(a.historyHash(), b.historyHash());
        SimulationResult c = new Simulation(SimulationConfig.defaults(43)).run();
        assertNotEquals(a.historyHash(), c.historyHash(), "another seed, another history");
        assertTrue(a.log().size() > 100, "a real history: " + a.log().size() + " lines");
    }

    @Test
    void aMixedFaultCampaignFindsNoViolation() {
        int seeds = Integer.getInteger("tenure.sim.seeds", 500);
        List<String> failures = new ArrayList<>();
        long epochs = 0;
        long start = System.nanoTime();
        for (long seed = 1; seed <= seeds; seed++) {
            SimulationResult r = new Simulation(SimulationConfig.defaults(seed)).run();
            epochs += r.epochs();
            if (!r.ok()) {
                failures.add("seed " + seed + ": " + r.violations());
            }
        }
        System.out.printf("[sim] %d seeds x 60 s virtual, 5 nodes, every fault: %d violations, %d epochs, %.1f s%n", seeds,
                failures.size(), epochs, (System.nanoTime() - start) / 1e9);
        assertEquals(List.of(), failures);
    }
}
