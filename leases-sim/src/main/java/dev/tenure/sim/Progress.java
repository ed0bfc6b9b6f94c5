package dev.tenure.sim;

import java.io.PrintWriter;
import java.util.function.LongSupplier;

/**
 * A campaign's progress. On a terminal, one bar redrawn in place with a carriage return; anywhere
 * else (a pipe, a file, a CI log) a carriage return would leave a wall of overwritten bars, so it
 * prints a plain line at each tenth of the seeds instead.
 */
public final class Progress {

    private static final int WIDTH = 40;

    private final PrintWriter out;
    private final boolean terminal;
    private final int total;
    private final LongSupplier nanoTime;
    private final long started;
    /** A bar is on screen without its line ended: anything printed must start on a new line. */
    private boolean barShown;
    private int lastTenth;

    private Progress(PrintWriter out, boolean terminal, int total, LongSupplier nanoTime) {
        this.out = out;
        this.terminal = terminal;
        this.total = total;
        this.nanoTime = nanoTime;
        this.started = nanoTime.getAsLong();
    }

    /**
     * Progress over {@code total} seeds.
     *
     * @param terminal whether {@code out} is an interactive terminal (the bar is redrawn) or not (plain lines)
     */
    public static Progress of(PrintWriter out, boolean terminal, int total) {
        return of(out, terminal, total, System::nanoTime);
    }

    static Progress of(PrintWriter out, boolean terminal, int total, LongSupplier nanoTime) {
        return new Progress(out, terminal, total, nanoTime);
    }

    /** {@code done} of the seeds have finished, {@code failing} of them with violations. */
    void update(int done, int failing) {
        if (terminal) {
            int filled = (int) ((long) done * WIDTH / total);
            out.printf("\r[%s%s] %d/%d seeds, %d failing", "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, failing);
            barShown = true;
        } else {
            int tenth = (int) ((long) done * 10 / total);
            if (tenth > lastTenth || done == total) {
                lastTenth = tenth;
                out.printf("progress: %d/%d seeds (%d%%), %d failing, %.1f s%n", done, total, (int) ((long) done * 100 / total),
                        failing, (nanoTime.getAsLong() - started) / 1e9);
            }
        }
        out.flush();
    }

    /** Ends the bar's line, if one is on screen, before other output. */
    void interrupt() {
        if (barShown) {
            out.println();
            barShown = false;
        }
    }
}
