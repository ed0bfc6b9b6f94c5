package dev.tenure.sim;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Many seeds of the {@link DriverSimulation}, in parallel: each violation printed with the seed that replays it, and the totals. */
public final class DriverCampaign {

    /** The totals of a campaign. */
    public record Summary(long seeds, long failed, long elections, long calls, long hungCalls, long poolShutdowns, long crashes,
            long stepDowns, long jobsTaken, long jobsCancelled, double seconds) {
    }

    private DriverCampaign() {
    }

    /**
     * Runs seeds {@code first} to {@code first + count - 1}, {@code threads} at a time, printing
     * violations and progress to {@code out}.
     */
    public static Summary run(long first, int count, int nodes, Duration duration, Optional<DriverMutation> mutation, int threads,
            PrintWriter out, Progress progress) throws InterruptedException {
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "simulate-driver");
            t.setDaemon(true);
            return t;
        });
        int done = 0;
        int failed = 0;
        long elections = 0;
        long calls = 0;
        long hung = 0;
        long shutdowns = 0;
        long crashes = 0;
        long stepDowns = 0;
        long jobs = 0;
        long cancelled = 0;
        try {
            // In windows of a few seeds per thread, so that memory stays flat however many seeds run.
            for (long windowStart = 0; windowStart < count; windowStart += 16L * threads) {
                List<Future<DriverSimulation.Result>> window = new ArrayList<>();
                for (long i = windowStart; i < Math.min(count, windowStart + 16L * threads); i++) {
                    long seed = first + i;
                    window.add(pool.submit(() -> new DriverSimulation(seed, nodes, duration, Duration.ofSeconds(1), mutation).run()));
                }
                for (Future<DriverSimulation.Result> f : window) {
                    DriverSimulation.Result r;
                    try {
                        r = f.get();
                    } catch (ExecutionException e) {
                        throw new IllegalStateException("a seed failed to run: " + e.getCause(), e.getCause());
                    }
                    done++;
                    elections += r.elections();
                    calls += r.calls();
                    hung += r.hungCalls();
                    shutdowns += r.poolShutdowns();
                    crashes += r.crashes();
                    stepDowns += r.stepDowns();
                    jobs += r.jobsTaken();
                    cancelled += r.jobsCancelled();
                    if (!r.passed()) {
                        failed++;
                        progress.interrupt();
                        r.violations().forEach(v -> out.printf("VIOLATION seed %d: %s: %s%n", r.seed(), v.checker(), v.detail()));
                        out.printf("replay: ./tenure simulate-driver --seed %d%s%n", r.seed(),
                                mutation.map(m -> " --mutation " + m).orElse(""));
                    }
                    progress.update(done, failed);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        progress.interrupt();
        Summary s = new Summary(count, failed, elections, calls, hung, shutdowns, crashes, stepDowns, jobs, cancelled,
                (System.nanoTime() - started) / 1e9);
        out.printf("%d seeds, %d with violations, %d elections, %d leases taken by acquireAsync/tryAcquireAsync (%d attempts cancelled),"
                + " %d backend calls (%d hung), %d I/O pools shut down, %d crashes, %d step-downs, %.1f s%n", s.seeds(), s.failed(),
                s.elections(), s.jobsTaken(), s.jobsCancelled(), s.calls(), s.hungCalls(), s.poolShutdowns(), s.crashes(), s.stepDowns(),
                s.seconds());
        out.flush();
        return s;
    }
}
