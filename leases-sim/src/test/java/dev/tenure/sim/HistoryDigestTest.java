package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Same seed, same history, across changes to the simulator's speed: the digests of a fixed set of
 * seeds (every log line and every figure of the result) were recorded before the simulator was
 * made faster, and must not move. A change meant to alter histories (a protocol rule, a new fault)
 * records new digests here and says why in its commit.
 */
class HistoryDigestTest {

    /**
     * Recorded when issue 13 added the STEP_DOWN fault (a leader steps down and stays in the
     * election), drawn among the node faults, which changed every history (seeds 1 to 5).
     */
    private static final String[] WITH_LEDGER = {"57f147f980a73d59", "bbf89264c8826fb8", "20bb5849ee6ade46", "b6199ee125c8b637",
        "36dc37e76af8a790"};
    private static final String[] LEASES_ONLY = {"f76eaa05dbd5cded", "6cfc85aca494ef77", "817443896a123522", "94edebc043162f11",
        "db7d1dfeb4f57edf"};

    static String digest(SimulationResult r) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (String line : r.log()) {
            md.update(line.getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
        }
        String summary = r.seed() + " " + r.violations() + " " + r.epochs() + " " + r.acquisitions() + " " + r.renewals() + " "
                + r.requests() + " " + r.renewRequests() + " " + r.failoverMillis() + " " + r.linearizedOperations() + " "
                + r.historyHash() + " " + r.segments() + " " + r.faults() + " " + r.ledgerAppends();
        md.update(summary.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }

    @Test
    void aFixedSetOfSeedsKeepsItsHistoriesByteForByte() throws Exception {
        for (int i = 0; i < WITH_LEDGER.length; i++) {
            assertEquals(WITH_LEDGER[i], digest(new Simulation(SimulationConfig.defaults(i + 1)).run()), "seed " + (i + 1) + ", ledger on");
            assertEquals(LEASES_ONLY[i], digest(new Simulation(SimulationConfig.defaults(i + 1).withoutLedger()).run()),
                    "seed " + (i + 1) + ", leases only");
        }
    }
}
