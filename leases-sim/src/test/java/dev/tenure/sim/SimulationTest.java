package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    void aMixedFaultCampaignFindsNoViolation() throws Exception {
        // CI's campaign: 1,000 seeds with every fault, the ledger and retention on, on every core (each seed stays
        // single-threaded and deterministic).
        int seeds = Integer.getInteger("tenure.sim.seeds", 1000);
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
        List<String> failures = new ArrayList<>();
        long epochs = 0;
        long appends = 0;
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<SimulationResult>> runs = new ArrayList<>();
            for (long seed = 1; seed <= seeds; seed++) {
                SimulationConfig config = SimulationConfig.defaults(seed);
                runs.add(pool.submit(() -> new Simulation(config).run()));
            }
            for (int i = 0; i < runs.size(); i++) {
                SimulationResult r = runs.get(i).get();
                runs.set(i, null);
                epochs += r.epochs();
                appends += r.ledgerAppends();
                if (!r.ok()) {
                    failures.add("seed " + r.seed() + ": " + r.violations());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("[sim] %d seeds x 60 s virtual, 5 nodes, every fault, ledger and retention: %d violations, %d epochs,"
                + " %d ledger appends acknowledged, %.1f s on %d threads%n", seeds, failures.size(), epochs, appends,
                (System.nanoTime() - start) / 1e9, threads);
        assertEquals(List.of(), failures);
    }
}
