package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.retry.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 16 managers, each with its own backend client, contend for one lease on a real directory for
 * 30 seconds on real threads; holders crash at random (their threads stop without releasing).
 * Every instant at which a holder saw its lease valid is recorded against one monotonic clock: no
 * two epochs' instants interleave, and epochs rise.
 */
class LocalContentionTest {

    private static final int MANAGERS = 16;
    private static final long RUN_NANOS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path root;

    /** The first and last instant a holder saw its lease valid. */
    private static final class Seen {
        final String holder;
        volatile long first = Long.MAX_VALUE;
        volatile long last = Long.MIN_VALUE;

        Seen(String holder) {
            this.holder = holder;
        }

        synchronized void at(long t) {
            first = Math.min(first, t);
            last = Math.max(last, t);
        }
    }

    @Test
    void leadershipNeverOverlapsUnderContentionAndCrashes() throws Exception {
        Map<Long, Seen> byEpoch = new ConcurrentHashMap<>();
        AtomicInteger crashes = new AtomicInteger();
        AtomicInteger acquisitions = new AtomicInteger();
        AtomicInteger unknown = new AtomicInteger();
        Map<Long, String> acquiredEpochs = new ConcurrentHashMap<>();
        long end = System.nanoTime() + RUN_NANOS;
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int w = 0; w < MANAGERS; w++) {
            int id = w;
            Thread t = new Thread(() -> {
                Random random = new Random(id);
                int incarnation = 0;
                try {
                    while (System.nanoTime() < end) {
                        String holder = "node-" + id + "." + incarnation++;
                        LeaseManager m = LeaseManager.builder(LocalBackend.open(root), holder)
                                .ttl(Duration.ofMillis(400))
                                .renewInterval(Duration.ofMillis(100))
                                .safetyMargin(Duration.ofMillis(60))
                                .skewMargin(Duration.ofMillis(20))
                                .requestTimeout(Duration.ofMillis(150))
                                .retryPolicy(RetryPolicy.local())
                                .build();
                        boolean crashed = false;
                        try {
                            while (System.nanoTime() < end && !crashed) {
                                Optional<Lease> lease;
                                try {
                                    lease = m.tryAcquire("writer");
                                } catch (LeaseOutcomeUnknownException | BackendException overloaded) {
                                    // Documented outcomes on an overloaded machine (16 contenders, 2 cores): the
                                    // attempt's write or reads went unanswered within the TTL. Try again.
                                    unknown.incrementAndGet();
                                    continue;
                                }
                                if (lease.isEmpty()) {
                                    Thread.onSpinWait();
                                    continue;
                                }
                                acquisitions.incrementAndGet();
                                Lease l = lease.get();
                                if (acquiredEpochs.putIfAbsent(l.fencingToken().epoch(), holder) != null) {
                                    failures.add(new AssertionError("epoch " + l.fencingToken().epoch() + " handed out twice"));
                                }
                                Seen seen = byEpoch.computeIfAbsent(l.fencingToken().epoch(), e -> new Seen(holder));
                                long holdUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50 + random.nextInt(600));
                                while (System.nanoTime() < Math.min(holdUntil, end)) {
                                    long now = System.nanoTime();
                                    if (!l.isValid()) {
                                        break;
                                    }
                                    seen.at(now);
                                }
                                if (random.nextInt(4) == 0) {
                                    crashes.incrementAndGet();
                                    crashed = true;
                                    m.abandon();
                                } else {
                                    l.release();
                                }
                            }
                        } finally {
                            if (!crashed) {
                                m.close();
                            }
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "contender-" + w);
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            t.join(TimeUnit.SECONDS.toMillis(120));
        }
        assertEquals(List.of(), failures);
        TreeMap<Long, Seen> ordered = new TreeMap<>(byEpoch);
        Map.Entry<Long, Seen> previous = null;
        int overlaps = 0;
        for (Map.Entry<Long, Seen> e : ordered.entrySet()) {
            if (e.getValue().first == Long.MAX_VALUE) {
                continue;
            }
            if (previous != null && previous.getValue().last >= e.getValue().first) {
                overlaps++;
                System.out.printf("OVERLAP: epoch %d (%s) seen valid until %d, epoch %d (%s) from %d%n", previous.getKey(),
                        previous.getValue().holder, previous.getValue().last, e.getKey(), e.getValue().holder, e.getValue().first);
            }
            previous = e;
        }
        System.out.printf("[lease] 16 managers on LocalBackend for 30 s: %d acquisitions, %d epochs, %d crashes, %d overlaps,"
                + " %d attempts unresolved in time%n", acquisitions.get(), ordered.size(), crashes.get(), overlaps, unknown.get());
        assertEquals(0, overlaps, "two holders were valid at the same instant");
        assertTrue(ordered.size() > 20, "the lease should have changed hands many times: " + ordered.size());
        assertTrue(crashes.get() > 5, "holders should have crashed: " + crashes.get());
        List<Long> byTime = ordered.entrySet().stream().filter(e -> e.getValue().first != Long.MAX_VALUE)
                .sorted(java.util.Comparator.comparingLong(e -> e.getValue().first)).map(Map.Entry::getKey).toList();
        assertEquals(byTime.stream().sorted().toList(), byTime, "epochs rise strictly in the order holders held them");
    }
}
