package dev.tenure.backend.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.probe.ContentionRaces;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Atomicity of {@link LocalBackend} across separate JVM processes, and crash safety under
 * {@code kill -9}.
 */
class LocalBackendProcessTest {

    private static final int PROCESSES = 4;

    @TempDir
    Path root;

    @Test
    void createRaceAcrossProcessesHasExactlyOneWinnerEveryRound() throws Exception {
        int threads = 8;
        int rounds = 200;
        List<Process> workers = new ArrayList<>();
        for (int p = 0; p < PROCESSES; p++) {
            workers.add(start("create", root.toString(), String.valueOf(p), String.valueOf(PROCESSES),
                    String.valueOf(threads), String.valueOf(rounds)));
        }
        Files.createFile(root.resolve("go"));
        int[] winners = new int[rounds];
        int[] roundsWonPerProcess = new int[PROCESSES];
        for (int p = 0; p < PROCESSES; p++) {
            String line = resultLine(workers.get(p), "WON");
            String[] parts = line.substring(3).trim().split(" ");
            for (String part : parts) {
                if (!part.isEmpty()) {
                    winners[Integer.parseInt(part)]++;
                    roundsWonPerProcess[p]++;
                }
            }
        }
        List<Integer> bad = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            if (winners[r] != 1) {
                bad.add(r);
            }
        }
        System.out.printf("[conformance] LocalBackend create race across %d processes x %d threads, %d rounds: rounds won per process %s, %d rounds without exactly one winner%n",
                PROCESSES, threads, rounds, Arrays.toString(roundsWonPerProcess), bad.size());
        assertEquals(List.of(), bad, "rounds without exactly one winner across processes");
        long processesThatWon = Arrays.stream(roundsWonPerProcess).filter(n -> n > 0).count();
        assertTrue(processesThatWon >= 2, "the race should have been contested across processes: " + Arrays.toString(roundsWonPerProcess));
    }

    @Test
    void incrementsAcrossProcessesAreNeverLost() throws Exception {
        int threads = 2;
        int perThread = 100;
        LocalBackend.open(root).put("counter", "0:initial".getBytes(StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
        List<Process> workers = new ArrayList<>();
        for (int p = 0; p < PROCESSES; p++) {
            workers.add(start("increment", root.toString(), String.valueOf(p), String.valueOf(threads), String.valueOf(perThread)));
        }
        Files.createFile(root.resolve("go"));
        long successes = 0;
        long conflicts = 0;
        for (Process worker : workers) {
            String[] parts = resultLine(worker, "INCREMENTS").split(" ");
            successes += Long.parseLong(parts[1]);
            conflicts += Long.parseLong(parts[2]);
        }
        long finalValue = ContentionRaces.value(LocalBackend.open(root).read("counter").orElseThrow().value());
        System.out.printf("[conformance] LocalBackend increment race across %d processes x %d threads: %d successful increments, final value %d, %d conflicts%n",
                PROCESSES, threads, successes, finalValue, conflicts);
        assertEquals((long) PROCESSES * threads * perThread, successes);
        assertEquals(successes, finalValue, "increments lost across processes");
    }

    @Test
    void killDashNineInTheMiddleOfWritesLeavesTheOldOrTheNewObject() throws Exception {
        LocalBackend backend = LocalBackend.open(root);
        backend.put("big", new byte[0], ConditionalPut.ifAbsent());
        Random random = new Random(7);
        int crashes = 5;
        for (int crash = 0; crash < crashes; crash++) {
            Process writer = start("overwrite", root.toString());
            BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8));
            int wait = 1 + random.nextInt(4);
            for (int seen = 0; seen < wait; ) {
                String line = out.readLine();
                assertTrue(line != null, () -> "writer died early: " + stderr(writer));
                if (line.startsWith("WROTE")) {
                    seen++;
                }
            }
            // The writer is now somewhere inside its next 8 MiB write.
            writer.destroyForcibly();
            assertTrue(writer.waitFor(30, TimeUnit.SECONDS));
            Versioned<byte[]> big = backend.read("big").orElseThrow();
            byte[] content = big.value();
            assertEquals(8 << 20, content.length, "a torn object after kill -9");
            byte first = content[0];
            assertTrue(first == 'A' || first == 'B');
            for (byte b : content) {
                if (b != first) {
                    throw new AssertionError("object mixes two writes after kill -9");
                }
            }
            assertEquals(List.of("big"), backend.list(""), "temp or lock files leaked into list()");
        }
        System.out.printf("[conformance] LocalBackend survived %d kill -9 during 8 MiB overwrites: whole object every time%n", crashes);
    }

    @Test
    void aSecondInstanceInTheSameJvmSharesTheLocksSafely() throws Exception {
        LocalBackend one = LocalBackend.open(root);
        LocalBackend two = LocalBackend.open(root);
        one.put("counter", "0:initial".getBytes(StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 8; t++) {
            LocalBackend b = t % 2 == 0 ? one : two;
            Thread thread = new Thread(() -> {
                try {
                    for (int done = 0; done < 50; ) {
                        ContentionRaces.Claim c = ContentionRaces.increment(b, "counter");
                        if (c == ContentionRaces.Claim.WON) {
                            done++;
                        }
                    }
                } catch (BackendException | AssertionError e) {
                    failures.add(e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.MINUTES.toMillis(5));
        }
        assertEquals(List.of(), failures);
        assertEquals(400, ContentionRaces.value(one.read("counter").orElseThrow().value()));
    }

    private static Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(LocalRaceWorker.class.getName());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
    }

    private static String resultLine(Process worker, String prefix) throws Exception {
        assertTrue(worker.waitFor(5, TimeUnit.MINUTES), "worker did not finish");
        String out = new String(worker.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, worker.exitValue(), () -> "worker failed: " + out + stderr(worker));
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + " line in: " + out + stderr(worker)));
    }

    private static String stderr(Process worker) {
        try {
            return new String(worker.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(stderr unreadable: " + e + ")";
        }
    }
}
