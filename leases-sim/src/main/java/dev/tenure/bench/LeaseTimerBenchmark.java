package dev.tenure.bench;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.Lease;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.LeaseScheduler;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One manager holding many leases on an in-memory store (ttl 6 s, renew every 1 s): how late each
 * renewal leaves, the CPU the whole process spends per renewal, and the heap per lease.
 *
 * <p>A renewal's lateness is measured where it reaches the store: the machine sets the next
 * renewal one renew interval after the previous renewal's write was sent, so the time between
 * two writes of one record, less the interval, is how late the second one left. It includes the
 * protocol thread's timer, its queue, and the hand-off to the I/O threads.
 */
public final class LeaseTimerBenchmark {

    private static final Duration TTL = Duration.ofSeconds(6);
    private static final Duration RENEW = Duration.ofSeconds(1);

    /**
     * The figures of one run.
     *
     * @param leases leases held
     * @param renewals renewals measured
     * @param p50Micros lateness, 50th percentile, microseconds (likewise the others)
     * @param cpuMicrosPerRenewal process CPU time over the measured renewals
     * @param managerBytesPerLease heap the manager keeps per lease (records in the store not counted)
     * @param storeBytesPerLease heap the in-memory store keeps per record
     */
    public record Result(int leases, long renewals, long p50Micros, long p99Micros, long p999Micros, long maxMicros,
            double cpuMicrosPerRenewal, long managerBytesPerLease, long storeBytesPerLease) {
    }

    private LeaseTimerBenchmark() {
    }

    /**
     * Runs with the production scheduler ({@link LeaseScheduler#singleThread}), or with
     * {@code executorBaseline} a one-thread {@link ScheduledThreadPoolExecutor}, the scheduler used
     * before the timer wheel, kept here as the baseline.
     */
    public static Result run(int leases, Duration warmUp, Duration measure, boolean executorBaseline, PrintWriter out)
            throws Exception {
        long baseHeap = usedHeapAfterGc();
        Recording store = new Recording(new InMemoryBackend(), leases, (int) Math.min(Integer.MAX_VALUE - 8,
                (long) leases * (measure.toSeconds() + 2)));
        LeaseScheduler scheduler = executorBaseline ? new ExecutorScheduler() : LeaseScheduler.singleThread("bench-leases");
        LeaseManager manager = LeaseManager.builder(store, "bench").ttl(TTL).renewInterval(RENEW).scheduler(scheduler).build();
        List<Lease> held = new ArrayList<>(leases);
        long start = System.nanoTime();
        for (int i = 0; i < leases; i++) {
            held.add(manager.tryAcquire("lease-" + i).orElseThrow(() -> new IllegalStateException("a free lease was not acquired")));
        }
        out.printf("acquired %,d leases in %.1f s; warming up %d s%n", leases, (System.nanoTime() - start) / 1e9, warmUp.toSeconds());
        out.flush();
        Thread.sleep(warmUp.toMillis());
        long managerHeap = usedHeapAfterGc();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        store.recording = true;
        long cpu0 = os.getProcessCpuTime();
        long renewals0 = store.renewals.get();
        Thread.sleep(measure.toMillis());
        long cpu1 = os.getProcessCpuTime();
        long renewals = store.renewals.get() - renewals0;
        store.recording = false;
        long lost = held.stream().filter(l -> !l.isValid()).count();
        long[] late = store.lateness();
        Arrays.sort(late);
        manager.close();
        scheduler.close();
        // Nothing of the manager may stay reachable (the handles reach its driver; the scheduler's
        // pending timers reach every machine), or its heap counts as the store's.
        held.clear();
        manager = null;
        scheduler = null;
        long storeHeap = usedHeapAfterGc();
        Result r = new Result(leases, renewals, pct(late, 0.5), pct(late, 0.99), pct(late, 0.999),
                late.length == 0 ? 0 : late[late.length - 1] / 1000, (cpu1 - cpu0) / 1e3 / Math.max(1, renewals),
                (managerHeap - storeHeap) / leases, (storeHeap - baseHeap) / leases);
        out.printf("scheduler: %s%n", executorBaseline ? "ScheduledThreadPoolExecutor, 1 thread (the baseline)" : "timer wheel (LeaseScheduler.singleThread)");
        out.printf("%,d leases, ttl %d s, renew every %d s, %d s measured: %,d renewals (%,.0f/s), %d leases lost%n",
                leases, TTL.toSeconds(), RENEW.toSeconds(), measure.toSeconds(), renewals, renewals / (double) measure.toSeconds(), lost);
        out.printf("renewal lateness: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms%n",
                r.p50Micros() / 1e3, r.p99Micros() / 1e3, r.p999Micros() / 1e3, r.maxMicros() / 1e3);
        out.printf("CPU per renewal (whole process): %.1f us; heap per lease: %,d bytes in the manager, %,d bytes in the store%n",
                r.cpuMicrosPerRenewal(), r.managerBytesPerLease(), r.storeBytesPerLease());
        out.flush();
        return r;
    }

    private static long pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1000;
    }

    @SuppressWarnings("removal")
    private static long usedHeapAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** The store, noting when each record is written, to measure renewal lateness from outside the manager. */
    private static final class Recording extends ForwardingAtomicBackend {
        private final Map<String, AtomicLong> lastWrite;
        private final long[] samples;
        private final AtomicInteger count = new AtomicInteger();
        private final AtomicLong renewals = new AtomicLong();
        private final long intervalNanos = RENEW.toNanos();
        volatile boolean recording;

        Recording(AtomicRemoteBackend delegate, int leases, int capacity) {
            super(delegate);
            this.lastWrite = new ConcurrentHashMap<>(leases * 2);
            this.samples = new long[capacity];
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            long now = System.nanoTime();
            AtomicLong last = lastWrite.computeIfAbsent(key, k -> new AtomicLong());
            long previous = last.getAndSet(now);
            if (condition instanceof ConditionalPut.IfVersion && previous != 0) {
                renewals.incrementAndGet();
                if (recording) {
                    int i = count.getAndIncrement();
                    if (i < samples.length) {
                        samples[i] = Math.max(0, now - previous - intervalNanos);
                    }
                }
            }
            return super.put(key, bytes, condition);
        }

        long[] lateness() {
            return Arrays.copyOf(samples, Math.min(count.get(), samples.length));
        }
    }

    /** The scheduler before the timer wheel: a one-thread executor, cancelled timers removed from its heap. */
    private static final class ExecutorScheduler implements LeaseScheduler {
        private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "bench-leases-executor");
            t.setDaemon(true);
            return t;
        });

        ExecutorScheduler() {
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
