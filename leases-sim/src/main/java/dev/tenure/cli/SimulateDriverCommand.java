package dev.tenure.cli;

import dev.tenure.sim.DriverCampaign;
import dev.tenure.sim.DriverMutation;
import dev.tenure.sim.Progress;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Runs the driver simulation: the production LeaseManager, its driver and I/O batching, and the
 * election, on every node, under every fault; prints each violation with the seed that replays it.
 */
@Command(name = "simulate-driver", mixinStandardHelpOptions = true,
        description = {"Deterministic simulation of the whole lease stack (manager, driver, I/O batching, election) with every fault.",
            "Exits 0 when no seed violated anything, 1 otherwise."})
final class SimulateDriverCommand implements Callable<Integer>, Bounds.Checked {

    private final BooleanSupplier terminal;

    SimulateDriverCommand() {
        this(Terminal::isInteractive);
    }

    /** With the decision whether standard output is a terminal (the progress bar is redrawn only there) made by the caller. */
    SimulateDriverCommand(BooleanSupplier terminal) {
        this.terminal = terminal;
    }

    @Spec
    CommandSpec spec;

    @Mixin
    SeedRange range;

    @Option(names = "--nodes", defaultValue = "5", description = "Contending nodes (2 to 16). Default: ${DEFAULT-VALUE}.")
    int nodes;

    @Option(names = "--duration", defaultValue = "60s", description = "Virtual time per seed (20s to 1d). Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--mutation", description = "A deliberate bug in the driver the checkers must catch: ${COMPLETION-CANDIDATES}.")
    DriverMutation mutation;

    @Override
    public void checkBounds() {
        range.checkBounds(spec);
        Bounds.check(spec, "--nodes", nodes, 2, 16, "the driver simulation's limit");
        Bounds.check(spec, "--duration", duration, Duration.ofSeconds(20), Duration.ofDays(1), "at least twenty lease TTLs");
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        // The managers' warnings (renewals failing, deadlines close) are the faults working: not news here.
        if (System.getProperty("org.slf4j.simpleLogger.log.dev.tenure") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.dev.tenure", "error");
        }
        long first = range.first();
        int count = range.count();
        out.printf("tenure simulate-driver: %d seed%s from %d, %d nodes, %d s virtual each, every fault, mutation %s%n", count,
                count == 1 ? "" : "s", first, nodes, duration.toSeconds(), mutation == null ? "none" : mutation);
        out.flush();
        DriverCampaign.Summary summary = DriverCampaign.run(first, count, nodes, duration, Optional.ofNullable(mutation), range.threads, out,
                Progress.of(out, terminal.getAsBoolean(), count));
        return summary.failed() == 0 ? 0 : 1;
    }
}
