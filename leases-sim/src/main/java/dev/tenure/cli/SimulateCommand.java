package dev.tenure.cli;

import dev.tenure.sim.Fault;
import dev.tenure.sim.Mutation;
import dev.tenure.sim.SimulationCampaign;
import dev.tenure.sim.SimulationConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Runs the deterministic simulator over one seed or many, printing each violation with the seed that replays it. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Deterministic simulation of lease holders with fault injection; checkers that can fail.",
            "Exits 0 when no seed violated anything, 1 otherwise."})
final class SimulateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--seed", description = "Run exactly this seed (replays a reported violation).")
    Long seed;

    @Option(names = "--seeds", defaultValue = "100", description = "Run N seeds, from --from on. Default: ${DEFAULT-VALUE}.")
    int seeds;

    @Option(names = "--from", defaultValue = "1", description = "The first seed of --seeds (a long campaign in parts). Default: ${DEFAULT-VALUE}.")
    long from;

    @Option(names = "--nodes", defaultValue = "5", description = "Contending nodes. Default: ${DEFAULT-VALUE}.")
    int nodes;

    @Option(names = "--duration", defaultValue = "PT60S", description = "Virtual time per seed (ISO-8601). Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--faults", split = ",", description = "Faults to inject (default: every fault): ${COMPLETION-CANDIDATES}.")
    List<Fault> faults;

    @Option(names = "--mutation", description = "A deliberate bug the checkers must catch: ${COMPLETION-CANDIDATES}.")
    Mutation mutation;

    @Option(names = "--ledger", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Leaders also append to a fenced ledger that a reader follows (default on; --no-ledger for leases alone).")
    boolean ledger;

    @Option(names = "--threads", defaultValue = "2", description = "Seeds run in parallel (each seed stays single-threaded). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--report", description = "Write report.json and timeline.html (the first failing seed, or the first seed) here.")
    Path report;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Set<Fault> chosen = faults == null || faults.isEmpty() ? SimulationConfig.mixed() : EnumSet.copyOf(faults);
        SimulationConfig base = new SimulationConfig(seed != null ? seed : from, nodes, duration, chosen, Optional.ofNullable(mutation),
                Duration.ofSeconds(1), 0.02, ledger);
        long first = seed != null ? seed : from;
        int count = seed != null ? 1 : seeds;
        out.printf("tenure simulate: %d seed%s from %d, %d nodes, %d s virtual each, faults %s, mutation %s, ledger %s%n", count,
                count == 1 ? "" : "s", first, nodes, duration.toSeconds(), chosen, mutation == null ? "none" : mutation, ledger ? "on" : "off");
        out.flush();
        SimulationCampaign.Summary summary = SimulationCampaign.run(base, first, count, threads, out, report);
        return summary.violations() == 0 ? 0 : 1;
    }
}
