package dev.tenure.lease;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Where the lease protocol runs: every event of every lease of a manager is handled on one
 * thread, in order, so the protocol needs no locks. Timers are set on the same clock the manager
 * was given; a virtual-time implementation lets tests and the simulator drive it.
 */
public interface LeaseScheduler extends AutoCloseable {

    /** A timer that may be cancelled. */
    interface Cancellable {
        /** Cancels the timer if it has not fired. */
        void cancel();
    }

    /** Runs {@code task} on the scheduler's thread after {@code delayNanos}. */
    Cancellable schedule(Runnable task, long delayNanos);

    /** Runs {@code task} on the scheduler's thread as soon as possible. */
    void execute(Runnable task);

    /** Stops the thread; pending timers are dropped. */
    @Override
    void close();

    /** One daemon thread with a timer queue: serves many thousands of leases. */
    static LeaseScheduler singleThread(String name) {
        return new ThreadScheduler(name);
    }

    /** The production scheduler: a {@link ScheduledThreadPoolExecutor} with one daemon thread. */
    final class ThreadScheduler implements LeaseScheduler {
        private final ScheduledThreadPoolExecutor executor;

        ThreadScheduler(String name) {
            ThreadFactory threads = r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            };
            executor = new ScheduledThreadPoolExecutor(1, threads);
            executor.setRemoveOnCancelPolicy(true);
        }

        @Override
        public Cancellable schedule(Runnable task, long delayNanos) {
            var future = executor.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        }

        @Override
        public void execute(Runnable task) {
            executor.execute(task);
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }
}
