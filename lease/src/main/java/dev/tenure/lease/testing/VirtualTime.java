package dev.tenure.lease.testing;

import dev.tenure.lease.LeaseClock;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.LeaseScheduler;

import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * A clock, a protocol thread and an I/O executor for a {@link LeaseManager} in virtual time: test
 * support for applications, like Curator's {@code TestingServer}, so that election code can be
 * tested for hours of lease time in milliseconds and without sleeps. Use it with an
 * {@link dev.tenure.backend.memory.InMemoryBackend}:
 *
 * <pre>{@code
 * try (VirtualTime time = new VirtualTime()) {
 *     LeaseManager manager = time.drive(LeaseManager.builder(new InMemoryBackend(), "node-1")).build();
 *     LeaderElection election = manager.elect("writer", listener);
 *     time.advance(Duration.ofSeconds(30));   // every timer due by then fires, in order
 * }
 * }</pre>
 *
 * Tasks handed to {@link #execute} run in order on one real thread; backend calls run on real
 * threads and take no virtual time; timers fire only when the test calls {@link #advance}, one
 * at a time, each followed by every backend call and answer it led to ({@link #settle}). Every
 * task run on the protocol thread is counted, so a test can wait until a request made on another
 * thread has reached it ({@link #awaitExecuted}).
 */
public final class VirtualTime implements LeaseClock, LeaseScheduler {

    /** A virtual time standing at its start; nothing moves until {@link #advance} is called. */
    public VirtualTime() {
    }

    /**
     * Sets {@code builder}'s clock, scheduler and I/O executor to this virtual time.
     *
     * @param builder a lease manager's builder
     * @return the same builder
     */
    public LeaseManager.Builder drive(LeaseManager.Builder builder) {
        // Each backend call its own task, as the tests that hold calls at the executor expect.
        return builder.clock(this).scheduler(this).ioExecutor(io()).callbackExecutor(callbacks()).batchBackendCalls(false);
    }

    private static final long START = TimeUnit.SECONDS.toNanos(1000);
    private static final long WAIT_SECONDS = 10;

    private record Timer(long at, long seq, Runnable task, boolean[] cancelled) {
    }

    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> daemon(r, "virtual-protocol"));
    private final ExecutorService ioThreads = Executors.newCachedThreadPool(r -> daemon(r, "virtual-io"));
    /** Listener callbacks, in order, on one thread that {@link #settle} waits for like a backend call. */
    private final ExecutorService callbackThread = Executors.newSingleThreadExecutor(r -> daemon(r, "virtual-callbacks"));
    private final AtomicLong now = new AtomicLong(START);
    private final PriorityQueue<Timer> timers = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private long seq;
    /** Tasks run to the end on the protocol thread. */
    private long executed;
    /** Backend calls not yet answered. */
    private int ioRunning;
    private volatile IntSupplier heldOnPurpose = () -> 0;

    @Override
    public long nanoTime() {
        return now.get();
    }

    @Override
    public long wallMillis() {
        return 1_795_000_000_000L + now.get() / 1_000_000;
    }

    /** Virtual time passed since the start. */
    public Duration elapsed() {
        return Duration.ofNanos(now.get() - START);
    }

    /** Where the manager's backend calls run; {@link #settle} waits for them. */
    public Executor io() {
        return tracked(ioThreads);
    }

    /**
     * Where the manager's listener callbacks run, in order; {@link #settle} waits for them too, so a
     * test sees {@code onElected} (and {@code isLeader()}) as soon as {@link #advance} returns.
     */
    public Executor callbacks() {
        return tracked(callbackThread);
    }

    private Executor tracked(ExecutorService threads) {
        return task -> {
            synchronized (this) {
                ioRunning++;
            }
            try {
                threads.execute(() -> {
                    try {
                        task.run();
                    } finally {
                        synchronized (VirtualTime.this) {
                            ioRunning--;
                            VirtualTime.this.notifyAll();
                        }
                    }
                });
            } catch (RejectedExecutionException e) {
                synchronized (this) {
                    ioRunning--;
                }
                throw e;
            }
        };
    }

    /** How many backend calls the test is holding on purpose: {@link #settle} does not wait for those. */
    public void notWaitingFor(IntSupplier held) {
        this.heldOnPurpose = held;
    }

    @Override
    public synchronized Cancellable schedule(Runnable task, long delayNanos) {
        if (delayNanos <= 0) {
            execute(task);
            return () -> {
            };
        }
        boolean[] cancelled = new boolean[1];
        timers.add(new Timer(now.get() + delayNanos, seq++, task, cancelled));
        return () -> {
            synchronized (VirtualTime.this) {
                cancelled[0] = true;
            }
        };
    }

    @Override
    public void execute(Runnable task) {
        thread.execute(() -> {
            try {
                task.run();
            } finally {
                synchronized (VirtualTime.this) {
                    executed++;
                    VirtualTime.this.notifyAll();
                }
            }
        });
    }

    /** Moves time forward by {@code d}, firing every timer due by then in order, each followed by {@link #settle}. */
    public void advance(Duration d) throws InterruptedException {
        long until = now.get() + d.toNanos();
        settle();
        while (true) {
            Timer due;
            synchronized (this) {
                due = timers.peek();
                if (due == null || due.at() > until) {
                    break;
                }
                timers.poll();
                if (due.cancelled()[0]) {
                    continue;
                }
                now.set(Math.max(now.get(), due.at()));
            }
            runAndWait(due.task());
            settle();
        }
        now.set(until);
        settle();
    }

    /**
     * Waits until the protocol thread has nothing left to do and every backend call has been
     * answered (except those held on purpose), with time standing still.
     */
    public void settle() throws InterruptedException {
        long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            long before = idle();
            synchronized (this) {
                while (ioRunning > heldOnPurpose.getAsInt()) {
                    long left = giveUpAt - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError(ioRunning + " backend calls still unanswered");
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
                }
            }
            // A call answers by handing its answer to the protocol thread: if nothing but the next
            // marker ran there, no answer was waiting either.
            if (idle() == before + 1) {
                return;
            }
        }
    }

    /**
     * Waits until every task handed to the protocol thread so far has run; returns how many tasks
     * have run there in all, counting the one this call adds.
     */
    public long idle() throws InterruptedException {
        long[] count = new long[1];
        runAndWait(() -> {
            synchronized (this) {
                // Tasks run one at a time, so every earlier one has been counted; this one is counted next.
                count[0] = executed + 1;
            }
        });
        return count[0];
    }

    /** Waits until {@code count} tasks in all have run on the protocol thread. */
    public synchronized void awaitExecuted(long count) throws InterruptedException {
        long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (executed < count) {
            long left = giveUpAt - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("only " + executed + " of " + count + " tasks ran on the protocol thread");
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    private void runAndWait(Runnable task) throws InterruptedException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        execute(() -> {
            try {
                task.run();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        try {
            done.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("a task on the protocol thread failed", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("the protocol thread did not run a task within " + WAIT_SECONDS + " s");
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        ioThreads.shutdownNow();
        callbackThread.shutdownNow();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
