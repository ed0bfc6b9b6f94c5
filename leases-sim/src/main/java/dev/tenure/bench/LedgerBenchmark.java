package dev.tenure.bench;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.lease.FencingToken;
import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerOptions;
import dev.tenure.ledger.LedgerWriter;
import dev.tenure.ledger.Position;
import dev.tenure.retry.RetryPolicy;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Appends per second and requests per append, for several batch and window settings, next to the
 * naive design (one object per append, one append per round trip) in the same run.
 */
public final class LedgerBenchmark {

    /**
     * One measured setting.
     *
     * @param label the setting
     * @param appends appends acknowledged
     * @param seconds wall time
     * @param requests requests sent to the store
     */
    public record Row(String label, long appends, double seconds, long requests) {
        double perSecond() {
            return appends / seconds;
        }

        double requestsPerAppend() {
            return appends == 0 ? 0 : (double) requests / appends;
        }
    }

    private LedgerBenchmark() {
    }

    /** Runs every setting against fresh ledgers on {@code store}, each for {@code each}; prints a table and returns it. */
    public static List<Row> run(Supplier<AtomicRemoteBackend> store, Duration latency, Duration each, PrintWriter out)
            throws InterruptedException {
        List<Row> rows = new ArrayList<>();
        int[][] settings = {{1, 1}, {100, 1}, {100, 8}, {1000, 8}, {1000, 32}, {10_000, 32}};
        for (int[] s : settings) {
            String label = s[0] == 1 && s[1] == 1 ? "naive: 1 entry per object, 1 in flight" : "batch " + s[0] + ", window " + s[1];
            Row row = measure(store.get(), latency, s[0], s[1], each, label);
            rows.add(row);
            out.printf("  %-42s %12.0f appends/s  %8.4f requests/append  (%d appends in %.1f s)%n", row.label(), row.perSecond(),
                    row.requestsPerAppend(), row.appends(), row.seconds());
            out.flush();
        }
        Row baseline = rows.get(0);
        Row best = rows.stream().max((a, b) -> Double.compare(a.perSecond(), b.perSecond())).orElseThrow();
        out.printf("best: %s, %.0f times the naive baseline%n", best.label(), best.perSecond() / baseline.perSecond());
        return rows;
    }

    /** The naive design, without Tenure: one object per append, written with IfAbsent, the next after this one's round trip. */
    private static Row naive(DelayedBackend store, Duration each, String label) {
        String prefix = "naive-" + UUID.randomUUID().toString().substring(0, 8) + "/";
        byte[] entry = new byte[64];
        store.requests.set(0);
        long start = System.nanoTime();
        long end = start + each.toNanos();
        long appended = 0;
        while (System.nanoTime() < end) {
            store.put(prefix + appended, entry, ConditionalPut.ifAbsent());
            appended++;
        }
        return new Row(label, appended, (System.nanoTime() - start) / 1e9, store.requests.get());
    }

    private static Row measure(AtomicRemoteBackend raw, Duration latency, int batch, int window, Duration each, String label)
            throws InterruptedException {
        DelayedBackend store = new DelayedBackend(raw, latency);
        if (batch == 1 && window == 1) {
            return naive(store, each, label);
        }
        LedgerOptions options = new LedgerOptions(batch, 8 << 20, Duration.ofMillis(1), window, Math.max(4 * batch * window, 1000), 0,
                RetryPolicy.s3());
        Ledger ledger = Ledger.open(store, "bench-" + UUID.randomUUID().toString().substring(0, 8), options);
        byte[] entry = new byte[64];
        long appended = 0;
        try (LedgerWriter writer = ledger.writer(new FencingToken("bench", 1), "bench")) {
            store.requests.set(0);
            long start = System.nanoTime();
            long end = start + each.toNanos();
            CompletableFuture<Position> last = null;
            while (System.nanoTime() < end) {
                last = writer.append(entry);
                appended++;
            }
            if (last != null) {
                last.join();
            }
            writer.flush();
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Row(label, appended, seconds, store.requests.get());
        }
    }
}
