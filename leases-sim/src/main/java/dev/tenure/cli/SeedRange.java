package dev.tenure.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The seeds a simulation command runs, and on how many threads: one set of options for both simulators. */
final class SeedRange {

    @Option(names = "--seed", description = "Run exactly this seed (replays a reported violation).")
    Long seed;

    @Option(names = "--seeds", defaultValue = "100", description = "Run N seeds (1 to 100,000,000), from --from on. Default: ${DEFAULT-VALUE}.")
    int seeds;

    @Option(names = "--from", defaultValue = "1", description = "The first seed of --seeds (a long campaign in parts). Default: ${DEFAULT-VALUE}.")
    long from;

    @Option(names = "--threads", defaultValue = "2", description = "Seeds run in parallel (1 to 256; each seed stays single-threaded). Default: ${DEFAULT-VALUE}.")
    int threads;

    void checkBounds(CommandSpec spec) {
        Bounds.check(spec, "--seeds", seeds, 1, SimulateCommand.MAX_SEEDS, "a longer campaign runs in parts with --from");
        Bounds.check(spec, "--from", from, Long.MIN_VALUE, Long.MAX_VALUE - seeds + 1, "the last seed, --from + --seeds - 1,"
                + " must be a long");
        Bounds.check(spec, "--threads", threads, 1, SimulateCommand.MAX_THREADS);
    }

    /** The first seed to run. */
    long first() {
        return seed != null ? seed : from;
    }

    /** How many seeds to run. */
    int count() {
        return seed != null ? 1 : seeds;
    }
}
