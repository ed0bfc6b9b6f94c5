package dev.tenure.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the packaged {@code tenure} command line as a separate process, the way a user runs it. */
public final class TenureProcess {

    /**
     * What a run printed and how it ended.
     *
     * @param exitCode the process's exit status
     * @param output standard output and error, interleaved
     */
    public record Result(int exitCode, String output) {
    }

    private TenureProcess() {
    }

    /** Runs {@code tenure args...} in {@code workDir} with extra environment variables. */
    public static Result run(Path workDir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("tenure.sim.jar"));
        assertTrue(Files.isRegularFile(jar), "the packaged CLI jar is missing: " + jar);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "tenure did not finish: " + out);
        return new Result(p.exitValue(), out);
    }

    /** Runs {@code tenure args...} with this process's environment. */
    public static Result run(Path workDir, String... args) throws IOException, InterruptedException {
        return run(workDir, Map.of(), args);
    }
}
