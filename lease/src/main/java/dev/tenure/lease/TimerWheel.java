package dev.tenure.lease;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link LeaseScheduler}: one daemon thread, a hashed timer wheel of 1 ms ticks
 * for timers, and a lock-free queue for tasks.
 *
 * <p>Why not a {@code ScheduledThreadPoolExecutor}: a manager holding thousands of leases keeps
 * tens of thousands of timers pending (every renewal sets a renewal, a deadline and request
 * timeouts), and the executor's heap costs a lock, a log-depth sift and an object per timer,
 * and keeps a cancelled timer until it is removed from the middle of the heap. The wheel inserts
 * and cancels in constant time on this thread, and its thread sleeps until the next tick that
 * holds a timer, or until a task arrives.
 *
 * <p>A timer never fires early: its due tick is rounded up, so the clock read when it runs is at
 * or past its time (a deadline timer must see its deadline passed). Timers due in the same tick
 * run in order of their times, then of scheduling. Tasks run in the order they were given.
 */
final class TimerWheel implements LeaseScheduler {

    private static final Logger LOG = LoggerFactory.getLogger(TimerWheel.class);

    static final long TICK_NANOS = 1_000_000;
    /** Slots in the wheel: one turn is 4.096 s; a later timer waits in its slot for its turn. */
    static final int SLOTS = 4096;
    private static final int MASK = SLOTS - 1;

    /** One pending timer; linked into its slot's list, touched only on the wheel's thread (except {@code cancelled}). */
    private static final class Entry implements Cancellable {
        final Runnable task;
        final long dueNanos;
        final long dueTick;
        final long sequence;
        Entry prev;
        Entry next;
        int slot = -1;
        volatile boolean cancelled;
        private final TimerWheel wheel;

        Entry(TimerWheel wheel, Runnable task, long dueNanos, long dueTick, long sequence) {
            this.wheel = wheel;
            this.task = task;
            this.dueNanos = dueNanos;
            this.dueTick = dueTick;
            this.sequence = sequence;
        }

        @Override
        public void cancel() {
            cancelled = true;
            if (Thread.currentThread() == wheel.thread) {
                // On the wheel's own thread (the lease driver's case) the entry goes at once: no garbage waits for its time.
                wheel.unlink(this);
            }
        }
    }

    private static final Comparator<Entry> FIRING_ORDER = Comparator.comparingLong((Entry e) -> e.dueNanos)
            .thenComparingLong(e -> e.sequence);

    private final Thread thread;
    private final long origin = System.nanoTime();
    private final Entry[] heads = new Entry[SLOTS];
    private final int[] counts = new int[SLOTS];
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sleeping = new AtomicBoolean();
    /**
     * When the thread, once {@link #sleeping}, wakes by itself ({@code Long.MAX_VALUE}: only when
     * woken). Written before {@link #sleeping} is set, so whoever sees it set reads this sleep's value.
     */
    private volatile long wakeAtNanos = Long.MAX_VALUE;
    private final List<Entry> firing = new ArrayList<>();
    private volatile boolean closed;
    /** The last tick whose slot has been run; only the wheel's thread reads or writes it. */
    private long doneTick;
    private long sequence;
    private int pending;

    TimerWheel(String name) {
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        doneTick = tickOf(origin) - 1;
        thread.start();
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        long due = System.nanoTime() + Math.max(0, delayNanos);
        if (Thread.currentThread() == thread) {
            Entry e = new Entry(this, task, due, ceilTick(due), sequence++);
            insert(e);
            return e;
        }
        // From another thread: the entry is made here (so it can be cancelled at once) and linked in on the wheel's thread.
        Entry e = new Entry(this, task, due, ceilTick(due), -1);
        execute(() -> insert(new Entry(this, () -> {
            if (!e.cancelled) {
                e.task.run();
            }
        }, e.dueNanos, e.dueTick, sequence++)));
        return e;
    }

    @Override
    public void execute(Runnable task) {
        if (closed) {
            throw new RejectedExecutionException("the lease scheduler " + thread.getName() + " is closed");
        }
        tasks.add(task);
        if (sleeping.get()) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * Runs {@code task} on the wheel's thread, in order with {@link #execute}, within about
     * {@code withinNanos}: when the thread sleeps and wakes by itself by then (a timer due), it is
     * not woken early for this. The lease driver hands over the answers of backend calls this way:
     * with many leases a timer is due every tick, and the answers wait for it rather than wake
     * the thread once each.
     */
    @Override
    public void executeWithin(Runnable task, long withinNanos) {
        if (closed) {
            throw new RejectedExecutionException("the lease scheduler " + thread.getName() + " is closed");
        }
        tasks.add(task);
        if (sleeping.get() && wakeAtNanos - System.nanoTime() > withinNanos) {
            LockSupport.unpark(thread);
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }

    // ---- the wheel's thread --------------------------------------------------------------------

    private void loop() {
        while (!closed) {
            runTasks();
            long nowTick = tickOf(System.nanoTime());
            while (doneTick < nowTick && !closed) {
                doneTick++;
                fire(doneTick);
                runTasks();
            }
            if (closed) {
                break;
            }
            long wakeTick = nextOccupiedTick();
            long wakeAt = wakeTick == Long.MAX_VALUE ? Long.MAX_VALUE : origin + wakeTick * TICK_NANOS;
            wakeAtNanos = wakeAt;
            sleeping.set(true);
            if (tasks.isEmpty()) {
                if (wakeAt == Long.MAX_VALUE) {
                    LockSupport.park(this);
                } else {
                    long wait = wakeAt - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(this, wait);
                    }
                }
            }
            sleeping.set(false);
        }
        tasks.clear();
    }

    private void runTasks() {
        Runnable task;
        while (!closed && (task = tasks.poll()) != null) {
            runSafely(task);
        }
    }

    private void fire(long tick) {
        int slot = (int) (tick & MASK);
        if (counts[slot] == 0) {
            return;
        }
        for (Entry e = heads[slot]; e != null; ) {
            Entry next = e.next;
            if (e.dueTick <= tick) {
                unlink(e);
                firing.add(e);
            }
            e = next;
        }
        if (firing.size() > 1) {
            firing.sort(FIRING_ORDER);
        }
        for (int i = 0; i < firing.size() && !closed; i++) {
            Entry e = firing.get(i);
            if (!e.cancelled) {
                runSafely(e.task);
            }
        }
        firing.clear();
    }

    private void insert(Entry e) {
        if (e.cancelled) {
            return;
        }
        // A timer already due (or due in a tick already run) goes in the next tick to run.
        long tick = Math.max(e.dueTick, doneTick + 1);
        int slot = (int) (tick & MASK);
        e.slot = slot;
        e.next = heads[slot];
        if (e.next != null) {
            e.next.prev = e;
        }
        heads[slot] = e;
        counts[slot]++;
        pending++;
    }

    private void unlink(Entry e) {
        if (e.slot < 0) {
            return;
        }
        if (e.prev != null) {
            e.prev.next = e.next;
        } else {
            heads[e.slot] = e.next;
        }
        if (e.next != null) {
            e.next.prev = e.prev;
        }
        counts[e.slot]--;
        pending--;
        e.prev = null;
        e.next = null;
        e.slot = -1;
    }

    /** The next tick whose slot holds a timer, looking one turn ahead; MAX_VALUE when there is no timer. */
    private long nextOccupiedTick() {
        if (pending == 0) {
            return Long.MAX_VALUE;
        }
        for (long t = doneTick + 1; t <= doneTick + SLOTS; t++) {
            if (counts[(int) (t & MASK)] != 0) {
                return t;
            }
        }
        return doneTick + SLOTS;
    }

    private void runSafely(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            // The thread serves every lease of the manager: one failing task must not stop the others.
            LOG.error("a lease protocol task failed on {}", thread.getName(), e);
        }
    }

    private long tickOf(long nanos) {
        return Math.floorDiv(nanos - origin, TICK_NANOS);
    }

    private long ceilTick(long nanos) {
        return -Math.floorDiv(origin - nanos, TICK_NANOS);
    }
}
