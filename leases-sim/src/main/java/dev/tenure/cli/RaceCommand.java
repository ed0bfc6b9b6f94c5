package dev.tenure.cli;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.uri.BackendUris;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.local.LocalBackend;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Replicas racing compare-and-swap for one lease-like record, round after round, on a real
 * backend. Each round every replica reads the record and, if the round is still open, tries to
 * write the next epoch conditionally on the version it read; the store lets exactly one through.
 */
@Command(name = "race", mixinStandardHelpOptions = true,
        description = {"Replicas race compare-and-swap for one lease-like record; prints each round's winner and cost.",
                "Without --backend, a fresh temporary directory."})
final class RaceCommand implements Callable<Integer>, Bounds.Checked {

    static final String KEY = "leases/demo";

    @Spec
    CommandSpec spec;

    @Option(names = "--replicas", defaultValue = "5", description = "Replicas racing (1 to 256 threads, each with its own backend client). Default: ${DEFAULT-VALUE}.")
    int replicas;

    @Option(names = "--rounds", defaultValue = "10", description = "Rounds to race (1 to 100,000). Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Mixin
    BackendOption backend;

    /** One replica's attempt; {@code ambiguous}: its PUT's outcome was unknown until it read the record back. */
    record Outcome(String replica, boolean won, int requests, int refused, int ambiguous) {
    }

    @Override
    public void checkBounds() {
        // Each replica is a thread with its own client and connections; past a few hundred the race measures the machine.
        Bounds.check(spec, "--replicas", replicas, 1, 256, "one thread and one backend client each");
        Bounds.check(spec, "--rounds", rounds, 1, 100_000);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path tempRoot = backend.uri == null ? Files.createTempDirectory("tenure-demo-") : null;
        String uri = backend.uriOr(() -> tempRoot.toUri().toString());
        AtomicRemoteBackend shared = BackendUris.openAtomic(uri);
        List<AtomicRemoteBackend> clients = new ArrayList<>();
        for (int r = 0; r < replicas; r++) {
            // Local replicas get clients of their own, as separate processes would; mem: must share its one store.
            clients.add(shared instanceof LocalBackend local ? LocalBackend.open(local.root()) : shared);
        }
        out.printf("tenure race: %d replicas race for '%s' on %s, %d rounds%n", replicas, KEY, shared.name(), rounds);
        int startEpoch = currentEpoch(shared);
        ExecutorService pool = Executors.newFixedThreadPool(replicas);
        int failures = 0;
        long totalRequests = 0;
        long totalPuts = 0;
        long totalAmbiguous = 0;
        double racingMillis = 0;
        try {
            int lastEpoch = startEpoch;
            for (int round = 1; round <= rounds; round++) {
                int target = startEpoch + round;
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Outcome>> attempts = new ArrayList<>();
                for (int r = 0; r < replicas; r++) {
                    String me = "replica-" + (r + 1);
                    AtomicRemoteBackend client = clients.get(r);
                    attempts.add(pool.submit(() -> {
                        go.await();
                        return attempt(client, me, target);
                    }));
                }
                long started = System.nanoTime();
                go.countDown();
                List<Outcome> outcomes = new ArrayList<>();
                for (Future<Outcome> f : attempts) {
                    outcomes.add(f.get(1, TimeUnit.MINUTES));
                }
                double millis = (System.nanoTime() - started) / 1e6;
                List<Outcome> winners = outcomes.stream().filter(Outcome::won).toList();
                int requests = outcomes.stream().mapToInt(Outcome::requests).sum();
                int refused = outcomes.stream().mapToInt(Outcome::refused).sum();
                totalRequests += requests;
                totalPuts += outcomes.stream().filter(o -> o.requests() > 1).count();
                totalAmbiguous += outcomes.stream().mapToInt(Outcome::ambiguous).sum();
                racingMillis += millis;
                int stored = currentEpoch(shared);
                String winner = winners.size() == 1 ? winners.get(0).replica() : winners.size() + " winners";
                long puts = outcomes.stream().filter(o -> o.requests() > 1).count();
                out.printf("round %2d: %-11s won epoch %d in %.1f ms | %d requests: %d reads, %d conditional puts, %d refused by the store%n",
                        round, winner, stored, millis, requests, requests - puts, puts, refused);
                if (winners.size() != 1 || stored != target || stored <= lastEpoch) {
                    failures++;
                    out.printf("  VIOLATION: expected exactly one winner writing epoch %d, saw %d winners and epoch %d%n",
                            target, winners.size(), stored);
                }
                lastEpoch = stored;
            }
        } finally {
            pool.shutdownNow();
            for (AtomicRemoteBackend c : clients) {
                c.close();
            }
        }
        // Throughput over the rounds themselves (from the start signal to the last answer), not the checks between them.
        out.printf("throughput: %d conditional PUTs in %.2f s of racing: %.0f conditional PUTs/s; %.1f contended increments/s"
                + " (one winning PUT per round)%n", totalPuts, racingMillis / 1000, totalPuts / (racingMillis / 1000),
                rounds / (racingMillis / 1000));
        if (totalAmbiguous > 0) {
            out.printf("%d conditional PUTs answered ambiguously (a timeout or a 5xx): each resolved by reading the record back%n",
                    totalAmbiguous);
        }
        out.printf("%d rounds, %d requests; %s%n", rounds, totalRequests, failures == 0
                ? "every round had exactly one winner and epochs only rose"
                : failures + " rounds violated single-winner or rising epochs");
        if (tempRoot != null) {
            out.printf("the record is in %s%n", tempRoot);
        }
        return failures == 0 ? 0 : 1;
    }

    /** One replica's attempt to take epoch {@code target}: one read, then at most one conditional put. */
    static Outcome attempt(AtomicRemoteBackend backend, String me, int target) {
        Optional<Versioned<byte[]>> current = backend.read(KEY);
        int epoch = current.map(v -> epochOf(v.value())).orElse(0);
        if (epoch >= target) {
            return new Outcome(me, false, 1, 0, 0);
        }
        ConditionalPut condition = current.isEmpty()
                ? ConditionalPut.ifAbsent()
                : ConditionalPut.ifVersion(current.get().version());
        byte[] record = encode(target, me);
        try {
            backend.put(KEY, record, condition);
            return new Outcome(me, true, 2, 0, 0);
        } catch (BackendException e) {
            if (e.kind() == BackendException.Kind.PRECONDITION_FAILED) {
                return new Outcome(me, false, 2, 1, 0);
            }
            if (e.ambiguous()) {
                // The PUT may have landed (RGW answers some racing PUTs 500): only the record can say. It names its
                // writer and epoch, and once one lands nobody else writes this round, so finding it means this one won.
                boolean mine = backend.read(KEY).map(v -> java.util.Arrays.equals(v.value(), record)).orElse(false);
                return new Outcome(me, mine, 3, 0, 1);
            }
            throw e;
        }
    }

    private static int currentEpoch(AtomicRemoteBackend backend) {
        return backend.read(KEY).map(v -> epochOf(v.value())).orElse(0);
    }

    static byte[] encode(int epoch, String holder) {
        return ("epoch=" + epoch + " holder=" + holder).getBytes(StandardCharsets.UTF_8);
    }

    static int epochOf(byte[] record) {
        String s = new String(record, StandardCharsets.UTF_8);
        try {
            return Integer.parseInt(s.substring("epoch=".length(), s.indexOf(' ')));
        } catch (RuntimeException e) {
            throw BackendException.internal(KEY, "the demo record under " + KEY + " is not one this demo wrote: "
                    + (s.length() > 60 ? s.substring(0, 60) + "..." : s), e);
        }
    }
}
