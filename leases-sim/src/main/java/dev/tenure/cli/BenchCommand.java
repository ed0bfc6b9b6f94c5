package dev.tenure.cli;

import dev.tenure.bench.LedgerBenchmark;
import dev.tenure.bench.LeaseTimerBenchmark;
import dev.tenure.backend.uri.BackendUris;
import dev.tenure.bench.LocalCasPairs;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Prints ledger throughput figures: appends per second and requests per append, against the naive baseline. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Ledger appends per second and requests per append, next to the one-object-per-append baseline.",
                "Without --backend, an in-memory store."})
final class BenchCommand implements Callable<Integer>, Bounds.Checked {

    @Spec
    CommandSpec spec;

    @Option(names = "--latency", defaultValue = "50ms", description = "Round-trip latency added to every request (0s to 10s)."
            + " Default: ${DEFAULT-VALUE}.")
    Duration latency;

    @Option(names = "--each", defaultValue = "5s", description = "Time per setting (100ms to 1h; 500ms, 2s, 1m or ISO-8601 PT5S)."
            + " Default: ${DEFAULT-VALUE}.")
    Duration each;

    @Mixin
    BackendOption backend;

    @Option(names = "--local-cas", paramLabel = "DIR", description = "Instead: LocalBackend compare-and-swap against the raw"
            + " temp-file + fsync + rename + directory-fsync loop, in paired runs, in a new directory under DIR.")
    Path localCasDir;

    @Option(names = "--pairs", defaultValue = "5", description = "Paired runs for --local-cas (1 to 1,000). Default: ${DEFAULT-VALUE}.")
    int pairs;

    @Option(names = "--leases", paramLabel = "N", description = "Instead: one manager holding N (1 to 1,000,000) leases on an in-memory store"
            + " (ttl 6 s, renew 1 s): renewal lateness p50/p99/p99.9/max, CPU per renewal, heap per lease; measured for --each.")
    Integer leases;

    @Option(names = "--warm-up", defaultValue = "10s", description = "Warm-up before measuring, for --leases (0s to 1h)."
            + " Default: ${DEFAULT-VALUE}.")
    Duration warmUp;

    @Option(names = "--scheduler", defaultValue = "wheel", description = "For --leases: wheel (the production scheduler) or"
            + " executor (a one-thread ScheduledThreadPoolExecutor, the baseline). Default: ${DEFAULT-VALUE}.")
    String scheduler;

    @Override
    public void checkBounds() {
        Bounds.check(spec, "--latency", latency, Duration.ZERO, Duration.ofSeconds(10));
        Bounds.check(spec, "--each", each, Duration.ofMillis(100), Duration.ofHours(1));
        Bounds.check(spec, "--warm-up", warmUp, Duration.ZERO, Duration.ofHours(1));
        Bounds.check(spec, "--pairs", pairs, 1, 1_000);
        if (leases != null) {
            // About a kilobyte of heap per lease, measured by the benchmark itself: a million fits a default heap.
            Bounds.check(spec, "--leases", leases, 1, 1_000_000, "heap per lease");
        }
        if (localCasDir != null && !Files.isDirectory(localCasDir)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--local-cas': " + localCasDir
                    + " is not an existing directory (the benchmark makes a new directory inside it)");
        }
        if (!scheduler.equals("wheel") && !scheduler.equals("executor")) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--scheduler': '" + scheduler
                    + "'; allowed: wheel, executor");
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (leases != null) {
            out.printf("tenure bench --leases %d: warm-up %d s, measured %d s%n", leases, warmUp.toSeconds(), each.toSeconds());
            LeaseTimerBenchmark.run(leases, warmUp, each, "executor".equals(scheduler), out);
            return 0;
        }
        if (localCasDir != null) {
            out.printf("tenure bench --local-cas: one key, one thread, %d pairs of %d ms each%n", pairs, each.toMillis());
            LocalCasPairs.run(localCasDir, pairs, each, out);
            return 0;
        }
        out.printf("tenure bench: ledger appends on %s with %d ms added per request, %d s per setting%n",
                backend.uri == null ? "an in-memory store" : BackendUris.redact(backend.uri), latency.toMillis(), each.toSeconds());
        LedgerBenchmark.run(() -> backend.openAtomic(() -> "mem:"), latency, each, out);
        return 0;
    }
}
