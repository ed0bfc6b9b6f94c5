package dev.tenure.sim;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A real thread that runs only while the simulation's thread waits for it. The two hand a single
 * turn back and forth ({@link #turn} on the simulation's side, {@link #park} on this one), so one of
 * them runs at a time and what this thread does is as deterministic as the simulation. The driver
 * simulation runs the lease driver's I/O threads this way: their backend calls block, as they do
 * in production, and the simulation decides when each returns.
 */
final class TurnThread {

    /** Thrown at a park point once the thread's node has crashed: it unwinds the thread (a process that died). */
    static final class Killed extends Error {
        private static final long serialVersionUID = 1L;

        Killed() {
            super("the simulated node crashed", null, false, false);
        }
    }

    /** A thread that neither parks nor ends within this long is stuck on something the simulation does not drive. */
    private static final long STUCK_SECONDS = 30;

    private final Semaphore run = new Semaphore(0);
    private final Semaphore back = new Semaphore(0);
    private final Thread thread;
    private boolean killed;
    private boolean ended;
    private Throwable failure;

    TurnThread(String name, Runnable body) {
        thread = new Thread(() -> {
            run.acquireUninterruptibly();
            try {
                if (!killed) {
                    body.run();
                }
            } catch (Killed expected) {
                // unwound
            } catch (Throwable t) {
                failure = t;
            } finally {
                ended = true;
                back.release();
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Simulation's thread: lets this thread run until it parks or ends. */
    void turn() {
        if (ended) {
            return;
        }
        run.release();
        boolean returned;
        try {
            returned = back.tryAcquire(STUCK_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + thread.getName() + " had the turn", e);
        }
        if (!returned) {
            StringBuilder stack = new StringBuilder();
            for (StackTraceElement e : thread.getStackTrace()) {
                stack.append("\n    at ").append(e);
            }
            throw new IllegalStateException(thread.getName() + " neither parked nor ended within " + STUCK_SECONDS + " s:" + stack);
        }
        if (failure != null) {
            Throwable f = failure;
            failure = null;
            throw new IllegalStateException(thread.getName() + " failed", f);
        }
    }

    /** This thread: gives the turn back and waits for the next one. */
    void park() {
        back.release();
        run.acquireUninterruptibly();
        if (killed) {
            throw new Killed();
        }
    }

    /** Simulation's thread: ends the thread at its park point (its node crashed). */
    void kill() {
        killed = true;
        turn();
    }

    /** Simulation's thread: sets the thread's interrupt flag, as a pool's {@code shutdownNow} does. */
    void interrupt() {
        thread.interrupt();
    }

    boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    boolean ended() {
        return ended;
    }
}
