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

    /** Recorded on the code with the expiry timer, before the speed work (seeds 1 to 5). */
    private static final String[] WITH_LEDGER = {"c58d076d2ea49879", "668fb8ad76ccfaf9", "2a3e9e2365fd1512", "d4281db4cae29574",
        "6b26d1e7256852e8"};
    private static final String[] LEASES_ONLY = {"df34936f4b05be23", "ac4a8d87982b0ea1", "0d38f6c427cc2e8a", "3f06adb3b7045741",
        "fcc3585961f50b46"};

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
