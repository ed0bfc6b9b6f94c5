package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Ledger followers run in every simulated ledger run; their checker passes, and each follower mutation is caught. */
class SimFollowersTest {

    private static final Pattern FIGURES = Pattern.compile("(\\d+) polls \\((\\d+) empty\\), (\\d+) deliveries, (\\d+) restarts, (\\d+) told Truncated, (\\d+) store errors");

    @Test
    void followersMeetEveryFaultAndEveryAcknowledgedAppendReachesEachOfThem() {
        long[] sum = new long[6];
        for (long seed = 1; seed <= 6; seed++) {
            Simulation sim = new Simulation(SimulationConfig.defaults(seed));
            SimulationResult r = sim.run();
            assertEquals(List.of(), r.violations(), "seed " + seed + ": " + sim.followersSummary());
            Matcher m = FIGURES.matcher(sim.followersSummary());
            assertTrue(m.find(), sim.followersSummary());
            for (int i = 0; i < sum.length; i++) {
                sum[i] += Long.parseLong(m.group(i + 1));
            }
            if (seed == 1) {
                System.out.printf("[sim] seed 1: %d acknowledged, %s%n", r.ledgerAppends(), sim.followersSummary());
            }
        }
        // Each situation the resume rule covers happened: deliveries, restarts (both ways), cuts, store errors.
        assertTrue(sum[2] > 10_000, "deliveries: " + sum[2]);
        assertTrue(sum[1] > 1_000, "empty polls at the end of the log: " + sum[1]);
        assertTrue(sum[3] > 20, "restarts: " + sum[3]);
        assertTrue(sum[4] > 0, "followers told Truncated: " + sum[4]);
        assertTrue(sum[5] > 0, "store errors met by polls: " + sum[5]);
    }

    @Test
    void eachFollowerMutationIsCaughtByTheDeliveryCheckerOnItsOwn() {
        for (Mutation m : List.of(Mutation.LEDGER_FOLLOWER_FORGETS_EPOCH, Mutation.LEDGER_FOLLOWER_STEPS_OVER_GAPS)) {
            long caughtAt = -1;
            for (long seed = 1; seed <= 30 && caughtAt < 0; seed++) {
                SimulationResult r = new Simulation(SimulationConfig.defaults(seed).withMutation(m)).run();
                if (r.violations().stream().anyMatch(v -> v.checker().equals(SimFollowers.DELIVERY))) {
                    caughtAt = seed;
                }
            }
            System.out.printf("[sim] %s caught by %s at seed %d%n", m, SimFollowers.DELIVERY, caughtAt);
            assertTrue(caughtAt > 0, m + " not caught within 30 seeds");
        }
    }
}
