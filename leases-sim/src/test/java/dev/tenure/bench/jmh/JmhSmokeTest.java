package dev.tenure.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The build compiles every benchmark; this runs one of them for one short iteration, in this JVM,
 * so that a benchmark list the generator failed to write, or a benchmark that throws, fails here.
 */
class JmhSmokeTest {

    @Test
    void oneShortIterationOfTheRenewBenchmarkRunsAndScores() throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(LeaseRenewBenchmark.class.getName() + "\\.renew$")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(200))
                .verbosity(VerboseMode.SILENT)
                .shouldFailOnError(true)
                .build()).run();
        assertEquals(1, results.size(), "one benchmark ran");
        double nanosPerRenewal = results.iterator().next().getPrimaryResult().getScore();
        assertTrue(nanosPerRenewal > 0 && nanosPerRenewal < 1_000_000_000, "a renewal takes a positive time under a second: " + nanosPerRenewal);
    }
}
