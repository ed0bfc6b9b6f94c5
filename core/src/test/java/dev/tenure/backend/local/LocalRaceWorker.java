package dev.tenure.backend.local;

import dev.tenure.backend.probe.ContentionRaces;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * A separate JVM racing other JVMs on one {@link LocalBackend} root. Started by
 * {@link LocalBackendProcessTest}; prints one result line on standard output.
 *
 * <pre>
 * create    ROOT PROCESS PROCESSES THREADS ROUNDS   -> "WON r1 r2 ..."
 * increment ROOT PROCESS THREADS PER_THREAD         -> "INCREMENTS successes conflicts"
 * overwrite ROOT                                    -> "WROTE n" after each write, forever
 * </pre>
 */
public final class LocalRaceWorker {

    private LocalRaceWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[1]);
        LocalBackend backend = LocalBackend.open(root);
        switch (args[0]) {
            case "create" -> create(backend, root, Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]), Integer.parseInt(args[5]));
            case "increment" -> {
                awaitStart(root);
                ContentionRaces.IncrementResult result = ContentionRaces.incrementRace(backend, "counter", Integer.parseInt(args[3]),
                        Integer.parseInt(args[4]));
                System.out.println("INCREMENTS " + result.successfulIncrements() + " " + result.conflicts());
            }
            case "overwrite" -> overwrite(backend);
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
    }

    private static void create(LocalBackend backend, Path root, int process, int processes, int threads, int rounds)
            throws Exception {
        awaitStart(root);
        // Before each round, every process marks its arrival and waits for all the others, so the
        // threads of all processes hit each round's key together.
        ContentionRaces.CreateRaceResult result = ContentionRaces.createRace(backend, "race/", threads, rounds, round -> {
            backend.put("gate/" + round + "/" + process, new byte[0], ConditionalPut.ifAbsent());
            while (backend.list("gate/" + round + "/").size() < processes) {
                LockSupport.parkNanos(20_000);
            }
        });
        System.out.println("WON " + result.roundsWon().stream().map(String::valueOf).collect(Collectors.joining(" ")));
    }

    private static void awaitStart(Path root) {
        Path go = root.resolve("go");
        while (!Files.exists(go)) {
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Overwrites one large object with alternating uniform contents until killed. */
    private static void overwrite(LocalBackend backend) {
        byte[] a = new byte[8 << 20];
        byte[] b = new byte[8 << 20];
        Arrays.fill(a, (byte) 'A');
        Arrays.fill(b, (byte) 'B');
        ObjectVersion version = backend.objectVersion("big").orElseThrow();
        for (long n = 1; ; n++) {
            version = backend.put("big", n % 2 == 0 ? a : b, ConditionalPut.ifVersion(version));
            System.out.println("WROTE " + n);
            System.out.flush();
        }
    }
}
