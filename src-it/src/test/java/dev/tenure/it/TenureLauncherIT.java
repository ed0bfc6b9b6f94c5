package dev.tenure.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged command line, run as a real process the way a user runs it. */
class TenureLauncherIT {

    @TempDir
    Path dir;

    private static String run(Path workDir, String... args) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("tenure.sim.jar"));
        assertTrue(Files.isRegularFile(jar), "the packaged CLI jar is missing: " + jar);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        return out;
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
