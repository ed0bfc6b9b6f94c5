package dev.tenure.lease;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease driver's backend calls on their way to the I/O executor, handed over once per turn of
 * the protocol thread rather than one at a time.
 *
 * <p>Why: with thousands of leases on one manager, renewals fall due a few at a time every
 * millisecond. Handed over one by one, a call on a fast store ended before the next was handed
 * over, so nearly every call woke a parked I/O thread, and the wake-ups (a futex call on each
 * side, the scheduler, the pool's lock) cost more CPU than the renewals themselves.
 *
 * <p>The protocol thread {@link #add}s the calls of one turn (the timers of a tick, the tasks
 * queued) and {@link #flush}es at its end. A runner on the I/O executor takes calls from the
 * queue, one after the other, until it is empty. There are as many runners as it takes for the
 * queued calls, at the recent average duration of a call, to all start within {@link #BUDGET_NANOS}:
 * on a store that answers in milliseconds every call gets a runner (a thread) of its own, as when
 * each call was handed over alone; on a fast store one runner takes the whole turn. Until calls
 * have been timed the average is taken to be long (a runner per call). A runner that finds calls
 * waiting behind it asks for another runner by the same rule; a flush that finds the runners
 * started nothing for {@link #STALL_NANOS} while calls wait (a call running long) adds a runner.
 * The driver flushes again {@link #STALL_NANOS} after a flush that left calls waiting, so a call
 * queued behind one that hangs waits about that long for a thread of its own, not for the hang.
 *
 * <p>Nothing about a call changes: it takes its own send time when it starts, so a call that
 * waited for a runner counts its validity from when it left, as it did when it waited for a
 * thread. Calls start in the order they were added.
 */
final class IoBatch {

    private static final Logger LOG = LoggerFactory.getLogger(IoBatch.class);

    /** The queued calls should all have started within this, at the average duration of a call. */
    static final long BUDGET_NANOS = 200_000;
    /** No runner started a call for this long while calls wait: one is stuck in a long call. */
    static final long STALL_NANOS = 1_000_000;
    /**
     * At most this many runners. Far above the default I/O pool's 16 threads on purpose: a user's
     * larger pool keeps a thread for every hung call, as it did when each call was handed over
     * alone (runners beyond a pool's threads wait in its queue and find nothing left to take).
     */
    static final int MAX_RUNNERS = 1024;

    private final Executor io;
    private final LongSupplier clock;
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger runners = new AtomicInteger();
    /**
     * Calls running now. They count with the waiting ones when sizing the runners: a runner in a
     * call is not free for the next one before the average duration of a call, so on a slow store a
     * call of a later turn needs a runner of its own as much as one of the same turn.
     */
    private final AtomicInteger busy = new AtomicInteger();
    private final Runnable runner = this::drain;
    /** Recent average duration of a call; updated without a lock (a lost update only delays the average a little). */
    private volatile long averageNanos = 2 * BUDGET_NANOS;
    /** When a runner last started a call, or was asked for. */
    private volatile long lastStartNanos;
    /**
     * The rule that a runner whose thread is interrupted starts no further call. Off only under the
     * driver simulation's mutation {@code RUNNER_IGNORES_INTERRUPT}, reached by a private lookup.
     */
    boolean stopWhenInterrupted = true;
    /**
     * The rule that a flush that finds the pool shut down drops the calls. Off only under the driver
     * simulation's mutation {@code SHUTDOWN_KEEPS_CALLS}, reached by a private lookup.
     */
    boolean dropWhenShutDown = true;

    IoBatch(Executor io) {
        this(io, System::nanoTime);
    }

    /** With {@code clock} for the durations of calls (tests). */
    IoBatch(Executor io, LongSupplier clock) {
        this.io = io;
        this.clock = clock;
        this.lastStartNanos = clock.getAsLong();
    }

    /** Queues a backend call (protocol thread); it is handed over at the next {@link #flush}. */
    void add(Runnable call) {
        queue.add(call);
        queued.incrementAndGet();
    }

    /** Calls are waiting for a runner. */
    boolean waiting() {
        return queued.get() > 0;
    }

    /** Hands the queued calls to the I/O executor: starts runners until there are enough (protocol thread). */
    void flush() {
        int waiting = queued.get();
        if (waiting == 0) {
            return;
        }
        if (dropWhenShutDown && io instanceof ExecutorService pool && pool.isShutdown()) {
            // Stopped for good: the runners it had queued were dropped without running, so the count
            // of runners would never come down and the driver would look again every millisecond
            // forever. The calls are dropped, as a call handed over alone was; the protocol's request
            // timeouts answer for them.
            int dropped = drop();
            LOG.debug("the I/O executor has shut down; {} backend calls dropped", dropped);
            return;
        }
        int running = busy.get();
        int want = wanted(waiting + running);
        int have = runners.get();
        // Stalled (no call started for a while): one more runner, but never more than one for each
        // call waiting or running; beyond that the extra runners would only queue for a thread.
        if (have >= want && have < Math.min(MAX_RUNNERS, waiting + running) && clock.getAsLong() - lastStartNanos > STALL_NANOS) {
            want = have + 1;
        }
        if (want > have) {
            startRunners(want - have);
        }
    }

    /** Runners wanted for {@code waiting} calls: all of them started within the budget, at the average duration. */
    private int wanted(int waiting) {
        long perRunner = Math.max(1, BUDGET_NANOS / Math.max(1, averageNanos));
        return (int) Math.min(MAX_RUNNERS, Math.max(1, (waiting + perRunner - 1) / perRunner));
    }

    /** Starts {@code n} runners, counted before the first starts (so that it does not start more for the same calls). */
    private void startRunners(int n) {
        runners.addAndGet(n);
        lastStartNanos = clock.getAsLong();
        for (int i = 0; i < n; i++) {
            try {
                io.execute(runner);
            } catch (RejectedExecutionException stopped) {
                // The executor is full: the calls stay queued for the next flush or runner.
                int left = runners.addAndGet(i - n);
                if (left == 0 && io instanceof ExecutorService pool && pool.isShutdown()) {
                    // Stopped for good, nobody left to run them: kept, they would have the driver look
                    // again every millisecond forever. Dropped, as a call handed over alone was; the
                    // protocol's request timeouts answer for them.
                    int dropped = drop();
                    LOG.debug("the I/O executor has shut down; {} backend calls dropped", dropped);
                } else {
                    LOG.debug("the I/O executor refused a runner; {} backend calls wait", queued.get());
                }
                return;
            }
        }
    }

    private int drop() {
        int dropped = 0;
        while (queue.poll() != null) {
            queued.decrementAndGet();
            dropped++;
        }
        return dropped;
    }

    private void drain() {
        while (true) {
            if (stopWhenInterrupted && Thread.currentThread().isInterrupted()) {
                // The pool shutting down (shutdownNow: no call that has not started may start now), or a
                // call that left its thread interrupted (the next call's blocking I/O would fail at once).
                // A pool tells these apart between its tasks: the calls left go to the next runner the
                // protocol thread starts (it flushes again while calls wait), on a thread of the pool's choosing.
                runners.decrementAndGet();
                return;
            }
            Runnable call = queue.poll();
            if (call == null) {
                runners.decrementAndGet();
                // A call added after the poll, whose flush still counted this runner: take it after all.
                // (The flush reads the runners after adding; this reads the queue after leaving: one of them sees the other.)
                if (queue.peek() == null) {
                    return;
                }
                runners.incrementAndGet();
                continue;
            }
            int left = queued.decrementAndGet();
            long start = clock.getAsLong();
            lastStartNanos = start;
            int running = busy.incrementAndGet();
            if (left > 0 && wanted(left + running) > runners.get()) {
                startRunners(1);
            }
            try {
                call.run();
                busy.decrementAndGet();
            } catch (RuntimeException e) {
                busy.decrementAndGet();
                LOG.error("a backend call of the lease protocol failed", e);
            } catch (Error e) {
                busy.decrementAndGet();
                runners.decrementAndGet();
                if (queue.peek() != null) {
                    startRunners(1);
                }
                throw e;
            }
            // A call counts for at most twice the budget: enough for slow calls to get a runner
            // each, while one call held up for a few milliseconds (the thread preempted on a busy
            // machine, a collector pause) does not start a runner for every call after it.
            long took = Math.min(clock.getAsLong() - start, 2 * BUDGET_NANOS);
            long average = averageNanos;
            averageNanos = average + (took - average) / 16;
        }
    }
}
