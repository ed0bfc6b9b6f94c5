package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Failover in the simulator, where the rule runs: a contender acts at the instant the watched record
 * expires on its clock, so a takeover lands one round trip after that instant (the conditional write
 * itself), and a crash costs ttl + skew margin plus at most the wait until a contender first sees the
 * dead holder's last record (one renew interval) and round trips.
 */
class SimFailoverTest {

    /** The simulated network answers within 7 ms each way when no latency fault is on. */
    private static final long ROUND_TRIP_MILLIS = 14;

    @Test
    void aTakeoverLandsWithinOneRoundTripOfTheRecordsExpiryAndACrashCostsAtMostOneRenewIntervalMore() {
        List<Long> takeovers = new ArrayList<>();
        List<Long> crashes = new ArrayList<>();
        for (long seed = 1; seed <= 30; seed++) {
            SimulationResult r = new Simulation(SimulationConfig.defaults(seed).withoutLedger()
                    .withFaults(EnumSet.of(Fault.CRASH))).run();
            assertEquals(List.of(), r.violations(), "seed " + seed);
            takeovers.addAll(r.takeoverAfterExpiryMillis());
            crashes.addAll(r.crashFailoverBeyondMillis());
        }
        assertTrue(takeovers.size() > 30, "enough takeovers to mean something: " + takeovers.size());
        long worstTakeover = takeovers.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertTrue(takeovers.stream().allMatch(t -> t >= 0), "never before the expiry instant: " + takeovers);
        assertTrue(worstTakeover <= ROUND_TRIP_MILLIS, "one round trip (the write) after expiry at most, not a read and a write: "
                + worstTakeover + " ms in " + takeovers);
        long renewInterval = 250; // ttl / 4 in the simulator
        long worstCrash = crashes.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertTrue(crashes.size() > 10, "crashes of the leader: " + crashes.size());
        assertTrue(worstCrash <= renewInterval + 3 * ROUND_TRIP_MILLIS, "ttl + skew + one renew interval + round trips at most: "
                + worstCrash + " ms beyond ttl + skew in " + crashes);
    }
}
