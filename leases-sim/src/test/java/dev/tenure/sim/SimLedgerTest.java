package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator runs production ledger writers under leases and faults; its ledger checkers can fail. */
class SimLedgerTest {

    @Test
    void leadersAppendThroughTheLedgerAndEveryCheckPasses() {
        long appends = 0;
        for (long seed = 1; seed <= 20; seed++) {
            SimulationResult r = new Simulation(SimulationConfig.defaults(seed)).run();
            assertEquals(List.of(), r.violations(), "seed " + seed);
            appends += r.ledgerAppends();
        }
        System.out.printf("[sim] 20 seeds with the ledger: %d acknowledged appends, no violations%n", appends);
        assertTrue(appends > 20 * 1000, "leaders should have appended steadily: " + appends);
    }

    @Test
    void aStoreThatAcknowledgesBeforeDurableIsCaughtByTheLedgerChecker() {
        for (long seed = 1; seed <= 20; seed++) {
            SimulationResult r = new Simulation(SimulationConfig.defaults(seed).withMutation(Mutation.ACK_BEFORE_DURABLE)).run();
            var caught = r.violations().stream().filter(v -> v.checker().equals(SimLedger.ACKED)).findFirst();
            if (caught.isPresent()) {
                System.out.printf("[sim] ledger: acknowledged-before-durable caught at seed %d: %s%n", seed, caught.get().detail());
                return;
            }
        }
        throw new AssertionError("the ledger checker missed acknowledged writes that were lost");
    }
}
