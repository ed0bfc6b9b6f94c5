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
    void thePackagedDemoRacesReplicasOnTheLocalBackend() throws Exception {
        String out = run(dir, "demo", "--replicas", "4", "--rounds", "5", "--backend", "file://" + dir.resolve("store"));
        assertEquals(5, out.lines().filter(l -> l.startsWith("round")).count(), out);
        assertTrue(out.contains("every round had exactly one winner and epochs only rose"), out);
        assertTrue(Files.isRegularFile(dir.resolve("store/leases/demo.obj")), "the record is on disk");
    }

    @Test
    void theJarPrintsItsVersionAndHelp() throws Exception {
        assertTrue(run(dir, "--version").startsWith("tenure "));
        assertTrue(run(dir, "--help").contains("demo"));
    }
}
