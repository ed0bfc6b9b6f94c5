package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {

    @TempDir
    Path dir;

    @Test
    void aCleanCampaignExitsZeroAndWritesItsReport() throws Exception {
        CliRun r = CliRun.of("simulate", "--seeds", "3", "--report", dir.toString());
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("3 seeds, 0 with violations"), r.out());
        String json = Files.readString(dir.resolve("report.json"));
        assertTrue(json.contains("\"violations\" : 0") && json.contains("\"failoverP99Millis\""), json);
        String html = Files.readString(dir.resolve("timeline.html"));
        assertTrue(html.contains("<svg") && html.contains("<rect") && html.contains("No violations"), html);
    }

    @Test
    void aMutationIsReportedWithTheSeedThatReplaysIt() throws Exception {
        CliRun r = CliRun.of("simulate", "--seeds", "5", "--mutation", "WALL_CLOCK_EXPIRY", "--no-ledger", "--report", dir.toString());
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("mutual-exclusion"), r.out());
        java.util.regex.Matcher replay = java.util.regex.Pattern
                .compile("replay: ./tenure simulate --seed (\\d+) --mutation WALL_CLOCK_EXPIRY --no-ledger").matcher(r.out());
        assertTrue(replay.find(), r.out());
        String seed = replay.group(1);
        assertTrue(Files.readString(dir.resolve("timeline.html")).contains("mutual-exclusion"));
        CliRun again = CliRun.of("simulate", "--seed", seed, "--mutation", "WALL_CLOCK_EXPIRY", "--no-ledger");
        assertEquals(1, again.status(), again.out());
        String first = r.out().lines().filter(l -> l.startsWith("VIOLATION seed " + seed + ":")).findFirst().orElseThrow();
        assertEquals(List.of(first), again.out().lines().filter(l -> l.startsWith("VIOLATION")).toList(), "a seed replays the same violation");
    }
}
