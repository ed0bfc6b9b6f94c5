package dev.tenure.lease;

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

    /**
     * One daemon thread with a hashed timer wheel (1 ms ticks): serves many thousands of leases.
     * Timers never fire early; one fires within about a tick of its time while the thread keeps up.
     */
    static LeaseScheduler singleThread(String name) {
        return new TimerWheel(name);
    }
}
