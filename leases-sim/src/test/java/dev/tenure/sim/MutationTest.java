package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every deliberate bug is caught by the checker meant for it within a bounded number of seeds. */
class MutationTest {

    /** Each mutation must be caught within this many seeds; the test stops at the first seed that catches it. */
    static final int MAX_SEEDS = 1_000;

    static String expectedChecker(Mutation m) {
        return switch (m) {
            case NO_SAFETY_MARGIN, WALL_CLOCK_EXPIRY, RETRY_PAST_DEADLINE, CLOSE_WITHOUT_INVALIDATE, NO_RECORD_BOUNDS,
                    STEP_DOWN_KEEPS_LEADING ->
                    Checkers.MUTUAL_EXCLUSION;
            case FORGET_UNRESOLVED_WRITES, REVOKE_ON_REFUSED_RENEWAL -> Checkers.NO_GUESS;
            case TAKEOVER_BEFORE_EXPIRY -> Checkers.EXPIRY;
            case FENCED_CLOSED_MEANS_NOT_WRITTEN -> SimFencedWrites.CHECKER;
            case STOP_ON_STORE_ERROR -> Checkers.LIVENESS;
            case DELETE_ON_RELEASE -> Checkers.EPOCHS;
            case ACK_BEFORE_DURABLE -> Checkers.LINEARIZABILITY;
            case LEDGER_OPEN_IGNORES_NEWER_EPOCHS, LEDGER_CHECKS_EXISTENCE_ONLY, LEDGER_BATCH_IDS_WITHOUT_NONCE -> SimLedger.ACKED;
            case LEDGER_FAIL_ALL_WHEN_FENCED, LEDGER_DEFINITE_WHILE_WRITING -> SimLedger.DEFINITE;
            case LEDGER_PIPELINE_FROM_THE_FENCE -> SimLedger.ORDER;
            case LEDGER_DECIDE_WITHOUT_CHECKPOINT -> SimRetention.LOST;
            case LEDGER_UNCONFIRMED_READS, LEDGER_NO_TRUNCATED_ERROR -> SimRetention.CONTINUITY;
            case LEDGER_FOLLOWER_FORGETS_EPOCH, LEDGER_FOLLOWER_STEPS_OVER_GAPS -> SimFollowers.DELIVERY;
        };
    }

    /** Ledger mutations need the ledger on, and may take more seeds: the bound the issue sets is 1,000. */
    static final int MAX_LEDGER_SEEDS = 1000;

    @ParameterizedTest
    @EnumSource(Mutation.class)
    void eachMutationIsCaught(Mutation mutation) throws Exception {
        // Lease mutations need no ledger; a missing safety margin shows only once drift is large enough to matter.
        boolean ledger = mutation.needsLedger();
        SimulationConfig defaults = SimulationConfig.defaults(1);
        SimulationConfig base = (ledger ? defaults : defaults.withoutLedger()).withMutation(mutation)
                .withMaxDrift(mutation == Mutation.NO_SAFETY_MARGIN ? 0.1 : 0.02);
        if (ledger && !mutation.needsRetention()) {
            // The writer checkers read the whole log at the end; retention cuts most of it first. Writer
            // mutations run without it, retention's with it (its own checker reads what was cut).
            base = base.withFaults(java.util.EnumSet.complementOf(java.util.EnumSet.of(Fault.RETENTION)));
        }
        int maxSeeds = ledger ? MAX_LEDGER_SEEDS : MAX_SEEDS;
        // Seeds run a core's worth at a time; the first catching seed in seed order is reported, so the result is deterministic.
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (long start = 1; start <= maxSeeds; start += threads) {
                List<Future<SimulationResult>> runs = new ArrayList<>();
                for (long seed = start; seed < start + threads && seed <= maxSeeds; seed++) {
                    SimulationConfig config = base.withSeed(seed);
                    runs.add(pool.submit(() -> new Simulation(config).run()));
                }
                for (int i = 0; i < runs.size(); i++) {
                    SimulationResult r = runs.get(i).get();
                    var caught = r.violations().stream().filter(v -> v.checker().equals(expectedChecker(mutation))).findFirst();
                    if (caught.isPresent()) {
                        System.out.printf("[sim] mutation %s caught by %s at seed %d: %s%n", mutation, expectedChecker(mutation), start + i,
                                caught.get().detail());
                        return;
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(false, "mutation " + mutation + " was not caught by " + expectedChecker(mutation) + " within " + maxSeeds + " seeds");
    }

}
