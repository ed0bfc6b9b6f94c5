package dev.tenure.cli;

import dev.tenure.sim.Fault;
import dev.tenure.sim.Mutation;
import dev.tenure.sim.Progress;
import dev.tenure.sim.SimulationCampaign;
import dev.tenure.sim.SimulationConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Runs the deterministic simulator over one seed or many, printing each violation with the seed that replays it. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Deterministic simulation of lease holders with fault injection; checkers that can fail.",
            "Exits 0 when no seed violated anything, 1 otherwise."})
final class SimulateCommand implements Callable<Integer>, Bounds.Checked {

    /** The most seeds one run takes: a longer campaign runs in parts with --from. */
    static final int MAX_SEEDS = 100_000_000;
    /** Seeds in parallel: far beyond any machine's cores, where more threads only add memory. */
    static final int MAX_THREADS = 256;

    private final BooleanSupplier terminal;

    SimulateCommand() {
        this(Terminal::isInteractive);
    }

    /** With the decision whether standard output is a terminal (the progress bar is redrawn only there) made by the caller. */
    SimulateCommand(BooleanSupplier terminal) {
        this.terminal = terminal;
    }

    @Spec
    CommandSpec spec;

    @Mixin
    SeedRange range;

    @Option(names = "--nodes", defaultValue = "5", description = "Contending nodes (2 to 64). Default: ${DEFAULT-VALUE}.")
    int nodes;

    @Option(names = "--duration", defaultValue = "60s", description = "Virtual time per seed (10s to 1d; 500ms, 2s, 1m, 1h or ISO-8601 PT2S)."
            + " Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--faults", split = ",", description = "Faults to inject (default: every fault): ${COMPLETION-CANDIDATES}.")
    List<Fault> faults;

    @Option(names = "--mutation", description = "A deliberate bug the checkers must catch: ${COMPLETION-CANDIDATES}.")
    Mutation mutation;

    @Option(names = "--ledger", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Leaders also append to a fenced ledger that a reader follows (default on; --no-ledger for leases alone).")
    boolean ledger;

    @Option(names = "--report", description = "Write report.json and timeline.html (the first failing seed, or the first seed) here.")
    Path report;

    @Override
    public void checkBounds() {
        range.checkBounds(spec);
        Bounds.check(spec, "--nodes", nodes, 2, 64, "the simulator's limit");
        // Ten TTLs of the simulated lease (1 s) at least, or a seed sees too few elections to check anything.
        Bounds.check(spec, "--duration", duration, Duration.ofSeconds(10), Duration.ofDays(1), "at least ten lease TTLs");
        if (report != null && (Files.exists(report) ? !Files.isDirectory(report) || !Files.isWritable(report)
                : report.toAbsolutePath().getParent() == null || !Files.isDirectory(report.toAbsolutePath().getParent()))) {
            // Found before the campaign, not after it has run for an hour.
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--report': " + report
                    + (Files.exists(report) ? " is not a writable directory" : "'s parent directory does not exist"));
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Set<Fault> chosen = faults == null || faults.isEmpty() ? SimulationConfig.mixed() : EnumSet.copyOf(faults);
        SimulationConfig base = new SimulationConfig(range.first(), nodes, duration, chosen, Optional.ofNullable(mutation),
                Duration.ofSeconds(1), 0.02, ledger);
        long first = range.first();
        int count = range.count();
        out.printf("tenure simulate: %d seed%s from %d, %d nodes, %d s virtual each, faults %s, mutation %s, ledger %s%n", count,
                count == 1 ? "" : "s", first, nodes, duration.toSeconds(), chosen, mutation == null ? "none" : mutation, ledger ? "on" : "off");
        out.flush();
        SimulationCampaign.Summary summary = SimulationCampaign.run(base, first, count, range.threads, out, report,
                Progress.of(out, terminal.getAsBoolean(), count));
        return summary.violations() == 0 ? 0 : 1;
    }
}
