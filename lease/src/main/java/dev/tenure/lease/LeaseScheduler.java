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

    /**
     * Runs {@code task} on the scheduler's thread, in order with {@link #execute}, within about
     * {@code withinNanos}: a scheduler whose thread wakes by itself by then (a timer due) need not
     * wake it early for this. The lease driver hands back the send of a backend call and the answer
     * of a renewal this way (nothing waits for them; each carries its own time, so no timer and no
     * validity moves when it arrives later). The default runs it as {@link #execute} does.
     *
     * @param task what to run
     * @param withinNanos how long it may wait, at most about
     */
    default void executeWithin(Runnable task, long withinNanos) {
        execute(task);
    }

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
