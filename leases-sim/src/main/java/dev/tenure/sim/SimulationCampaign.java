package dev.tenure.sim;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Many seeds of one configuration, with a progress bar, each violation printed with the seed that replays it. */
public final class SimulationCampaign {

    /**
     * What a campaign found.
     *
     * @param seeds seeds run
     * @param violations violations found
     * @param failoverP50Millis median failover after a fault hit the leader
     * @param failoverP99Millis 99th percentile of the same
     * @param requestsPerRenewal requests per confirmed renewal
     */
    public record Summary(int seeds, int violations, long failoverP50Millis, long failoverP99Millis, double requestsPerRenewal) {
    }

    private SimulationCampaign() {
    }

    /**
     * Runs seeds {@code first .. first + count - 1}; writes a report to {@code reportDir} when given.
     * Progress is a bar redrawn in place, as on a terminal.
     */
    public static Summary run(SimulationConfig base, long first, int count, int threads, PrintWriter out, Path reportDir)
            throws InterruptedException, IOException {
        return run(base, first, count, threads, out, reportDir, Progress.of(out, true, Math.max(1, count)));
    }

    /** As {@link #run(SimulationConfig, long, int, int, PrintWriter, Path)}, showing progress through {@code progress}. */
    public static Summary run(SimulationConfig base, long first, int count, int threads, PrintWriter out, Path reportDir,
            Progress progress) throws InterruptedException, IOException {
        if (count < 1 || threads < 1) {
            throw new IllegalArgumentException("a campaign needs at least one seed and one thread, not " + count + " and " + threads);
        }
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<SimulationResult>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SimulationConfig config = base.withSeed(first + i);
            futures.add(pool.submit(() -> new Simulation(config).run()));
        }
        List<SimulationResult.Violation> violations = new ArrayList<>();
        List<Long> failing = new ArrayList<>();
        List<Long> failovers = new ArrayList<>();
        List<Long> crashBeyond = new ArrayList<>();
        List<Long> takeovers = new ArrayList<>();
        long epochs = 0;
        long renewals = 0;
        long renewRequests = 0;
        long ledgerAppends = 0;
        SimulationResult shown = null;
        try {
            for (int i = 0; i < count; i++) {
                SimulationResult r;
                try {
                    r = futures.get(i).get();
                    futures.set(i, null); // a result holds its whole log: keep only the one the report shows
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("seed " + (first + i) + " crashed the simulator: " + e.getCause(), e.getCause());
                }
                epochs += r.epochs();
                renewals += r.renewals();
                renewRequests += r.renewRequests();
                failovers.addAll(r.failoverMillis());
                crashBeyond.addAll(r.crashFailoverBeyondMillis());
                takeovers.addAll(r.takeoverAfterExpiryMillis());
                ledgerAppends += r.ledgerAppends();
                if (!r.ok()) {
                    failing.add(r.seed());
                    violations.addAll(r.violations());
                    progress.interrupt();
                    out.printf("VIOLATION seed %d: %s%n  replay: ./tenure simulate --seed %d%s%s%n", r.seed(), r.violations(), r.seed(),
                            base.mutation().map(m -> " --mutation " + m).orElse(""), base.ledger() ? "" : " --no-ledger");
                    if (shown == null || shown.ok()) {
                        shown = r;
                    }
                }
                if (shown == null) {
                    shown = r;
                }
                progress.update(i + 1, failing.size());
            }
        } finally {
            pool.shutdownNow();
        }
        progress.interrupt();
        double seconds = (System.nanoTime() - started) / 1e9;
        Report.Campaign campaign = new Report.Campaign(base, count, violations, failing, failovers, crashBeyond, takeovers, epochs, renewals, renewRequests, seconds);
        out.printf("%d seeds, %d with violations, %d epochs, failover after a fault on the leader: p50 %d ms, p99 %d ms (virtual),"
                + " %.2f requests per renewal, %d ledger appends acknowledged, %.1f s%n", count, failing.size(), epochs,
                campaign.percentile(0.5), campaign.percentile(0.99), campaign.requestsPerRenewal(), ledgerAppends, seconds);
        out.printf("after a crash of the leader: failover minus (ttl + skew margin) p50 %d ms, p99 %d ms (%d crashes); takeover after"
                + " the record expired on the taker's clock: p50 %d ms, p99 %d ms (%d takeovers)%n",
                Report.Campaign.percentile(crashBeyond, 0.5), Report.Campaign.percentile(crashBeyond, 0.99), crashBeyond.size(),
                Report.Campaign.percentile(takeovers, 0.5), Report.Campaign.percentile(takeovers, 0.99), takeovers.size());
        if (reportDir != null && shown != null) {
            Report.write(reportDir, campaign, shown);
            out.printf("report: %s and %s%n", reportDir.resolve("report.json"), reportDir.resolve("timeline.html"));
        }
        out.flush();
        return new Summary(count, failing.size(), campaign.percentile(0.5), campaign.percentile(0.99), campaign.requestsPerRenewal());
    }
}
