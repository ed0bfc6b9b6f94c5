package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SimulateDriverCommandTest {

    @Test
    void aCleanCampaignExitsZeroWithItsFigures() throws Exception {
        CliRun r = CliRun.of("simulate-driver", "--seeds", "3");
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("3 seeds, 0 with violations"), r.out());
        assertTrue(r.out().matches("(?s).*\\d+ elections, \\d+ leases taken .*, \\d+ backend calls \\(\\d+ hung\\).*"), r.out());
    }

    @Test
    void aMutationIsReportedWithTheSeedThatReplaysIt() throws Exception {
        CliRun r = CliRun.of("simulate-driver", "--seeds", "5", "--mutation", "NO_STALL_CHECK");
        assertEquals(1, r.status(), r.out());
        Matcher replay = Pattern.compile("replay: ./tenure simulate-driver --seed (\\d+) --mutation NO_STALL_CHECK").matcher(r.out());
        assertTrue(replay.find(), r.out());
        String seed = replay.group(1);
        String first = r.out().lines().filter(l -> l.startsWith("VIOLATION seed " + seed + ":")).findFirst().orElseThrow();
        CliRun again = CliRun.of("simulate-driver", "--seed", seed, "--mutation", "NO_STALL_CHECK");
        assertEquals(1, again.status(), again.out());
        assertTrue(again.out().contains(first), "the same violation on replay: " + again.out());
        assertTrue(first.contains("no-call-waits-beside-a-free-thread"), first);
    }
}
