package dev.tenure.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged command line, run as a real process the way a user runs it. */
class TenureLauncherIT {

    @TempDir
    Path dir;

    private static String run(Path workDir, String... args) throws Exception {
        TenureProcess.Result r = TenureProcess.run(workDir, args);
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    @Test
    void thePackagedRaceHasOneWinnerPerRoundOnTheLocalBackend() throws Exception {
        String out = run(dir, "race", "--replicas", "4", "--rounds", "5", "--backend", "file://" + dir.resolve("store"));
        assertEquals(5, out.lines().filter(l -> l.startsWith("round")).count(), out);
        assertTrue(out.contains("every round had exactly one winner and epochs only rose"), out);
        assertTrue(Files.isRegularFile(dir.resolve("store/leases/demo.obj")), "the record is on disk");
    }

    @Test
    void thePackagedDemoIsALeaderElectionWithAFailover() throws Exception {
        String out = run(dir, "demo", "--replicas", "3", "--duration", "PT4S", "--ttl", "PT0.5S", "--backend",
                "file://" + dir.resolve("election"));
        assertTrue(out.contains("KILLED while leader"), out);
        assertTrue(out.contains("epochs only rose and leadership never overlapped"), out);
        assertTrue(Files.isRegularFile(dir.resolve("election/leases/demo-leader.obj")), "the lease record is on disk");
    }

    @Test
    void theDemoWithReplicaProcessesSurvivesASigkilledLeader() throws Exception {
        String out = run(dir, "demo", "--processes", "--replicas", "3", "--duration", "PT8S", "--ttl", "PT0.8S", "--backend",
                "file://" + dir.resolve("processes"));
        assertTrue(out.contains("KILLED with SIGKILL while leader"), out);
        assertTrue(out.matches("(?s).*elected, epoch \\d+ \\(failover \\d+\\.\\d+ s after the kill\\).*"), out);
        assertTrue(out.contains("epochs only rose and leadership never overlapped"), out);
    }

    @Test
    void theJarPrintsItsVersionAndHelp() throws Exception {
        assertTrue(run(dir, "--version").startsWith("tenure "));
        assertTrue(run(dir, "--help").contains("demo"));
    }
}
