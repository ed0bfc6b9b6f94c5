package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.Lease;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.LeaseScheduler;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Ledger writers take turns through a real lease on real threads, against a store that loses
 * answers after applying writes, refuses some, and answers some reads with 503; writers crash
 * mid-stream. Every acknowledged append is present exactly once, in acknowledgement order per
 * writer; epochs never go down along the log; nothing a reader saw ever vanishes.
 */
class LedgerChaosTest {

    /** Faults on every call, decided by a thread-local random. */
    static final class FaultyStore extends ForwardingAtomicBackend {
        final AtomicInteger faults = new AtomicInteger();

        FaultyStore() {
            super(new InMemoryBackend());
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            int dice = ThreadLocalRandom.current().nextInt(100);
            if (dice < 4) {
                faults.incrementAndGet();
                super.put(key, bytes, condition);
                throw BackendException.transport(key, true, "answer lost after the write was applied", null);
            }
            if (dice < 7) {
                faults.incrementAndGet();
                throw BackendException.transport(key, true, "connection reset before the write was applied", null);
            }
            if (dice < 9) {
                faults.incrementAndGet();
                throw BackendException.transport(key, false, "503 SlowDown", null);
            }
            return super.put(key, bytes, condition);
        }

        @Override
        public Optional<Versioned<byte[]>> read(String key) {
            if (ThreadLocalRandom.current().nextInt(100) < 2) {
                faults.incrementAndGet();
                throw BackendException.transport(key, false, "503 SlowDown", null);
            }
            return super.read(key);
        }
    }

    @Test
    void acknowledgedAppendsSurviveTakeoversCrashesAndAFaultyStore() throws Exception {
        FaultyStore store = new FaultyStore();
        InMemoryBackend leases = new InMemoryBackend("leases");
        LedgerOptions options = new LedgerOptions(20, 1 << 20, Duration.ofMillis(1), 4, 10_000, 64, RetryPolicy.tests());
        Map<String, Map<String, Position>> ackedAt = new ConcurrentHashMap<>();
        Set<String> seenByReaders = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger terms = new AtomicInteger();
        AtomicInteger crashes = new AtomicInteger();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);

        Thread reader = new Thread(() -> {
            Ledger view = Ledger.open(store, "chaos", options);
            while (!stop.get()) {
                try {
                    view.read(Position.START).forEachRemaining(e -> seenByReaders.add(new String(e.data(), StandardCharsets.UTF_8)));
                } catch (BackendException transient503) {
                    // A reader retries on the next pass.
                }
            }
        }, "ledger-reader");
        reader.start();

        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            int id = w;
            Thread t = new Thread(() -> {
                int incarnation = 0;
                while (System.nanoTime() < end) {
                    String holder = "w" + id + "." + incarnation++;
                    // The manager runs on threads this test owns, so a crash can stop them all at once.
                    LeaseScheduler scheduler = LeaseScheduler.singleThread("chaos-" + holder);
                    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
                    LeaseManager manager = LeaseManager.builder(leases, holder).ttl(Duration.ofMillis(300)).renewInterval(Duration.ofMillis(60))
                            .safetyMargin(Duration.ofMillis(50)).skewMargin(Duration.ofMillis(20)).requestTimeout(Duration.ofMillis(100))
                            .retryPolicy(RetryPolicy.tests()).scheduler(scheduler).ioExecutor(threads).callbackExecutor(threads).build();
                    boolean crashed = false;
                    try {
                        Optional<Lease> lease;
                        try {
                            lease = Optional.of(manager.acquire("ledger-writer", Duration.ofSeconds(2)));
                        } catch (java.util.concurrent.TimeoutException notYet) {
                            continue;
                        }
                        terms.incrementAndGet();
                        Ledger ledger = Ledger.open(store, "chaos", options);
                        LedgerWriter writer;
                        try {
                            writer = ledger.writer(lease.get().fencingToken(), holder);
                        } catch (LedgerException | BackendException fencedOrFlaky) {
                            lease.get().release();
                            manager.close();
                            continue;
                        }
                        Map<String, Position> acked = new ConcurrentHashMap<>();
                        ackedAt.put(holder, acked);
                        int count = 50 + ThreadLocalRandom.current().nextInt(200);
                        crashed = ThreadLocalRandom.current().nextInt(3) == 0;
                        List<CompletableFuture<Position>> futures = new ArrayList<>();
                        for (int i = 0; i < count && lease.get().isValid(); i++) {
                            String entry = holder + ":" + i;
                            try {
                                CompletableFuture<Position> f = writer.append(entry.getBytes(StandardCharsets.UTF_8));
                                f.thenAccept(position -> acked.put(entry, position));
                                futures.add(f);
                            } catch (LedgerException stopped) {
                                break;
                            }
                        }
                        if (crashed) {
                            crashes.incrementAndGet();
                            writer.kill();
                            scheduler.close();
                            threads.shutdownNow();
                            continue;
                        }
                        for (CompletableFuture<Position> f : futures) {
                            try {
                                f.get(10, TimeUnit.SECONDS);
                            } catch (java.util.concurrent.ExecutionException fenced) {
                                // Fenced or stopped: those appends were never acknowledged.
                            }
                        }
                        writer.close();
                        lease.get().release();
                    } catch (Throwable e) {
                        failures.add(e);
                    } finally {
                        if (!crashed) {
                            manager.close();
                            scheduler.close();
                            threads.shutdownNow();
                        }
                    }
                }
            }, "ledger-writer-" + w);
            writers.add(t);
            t.start();
        }
        for (Thread t : writers) {
            t.join(TimeUnit.SECONDS.toMillis(120));
        }
        stop.set(true);
        reader.join();
        assertEquals(List.of(), failures);

        List<String> log = new ArrayList<>();
        List<Long> epochs = new ArrayList<>();
        Map<Position, String> atPosition = new HashMap<>();
        Ledger.open(store, "chaos", options).read(Position.START).forEachRemaining(e -> {
            String entry = new String(e.data(), StandardCharsets.UTF_8);
            log.add(entry);
            epochs.add(e.epoch());
            atPosition.put(e.position(), entry);
        });
        Map<String, Integer> copies = new HashMap<>();
        log.forEach(e -> copies.merge(e, 1, Integer::sum));
        long ackedTotal = ackedAt.values().stream().mapToLong(Map::size).sum();
        System.out.printf("[ledger] chaos: %d terms, %d crashes, %d store faults, %d acknowledged appends, %d entries in the log%n",
                terms.get(), crashes.get(), store.faults.get(), ackedTotal, log.size());
        assertTrue(copies.values().stream().allMatch(n -> n == 1), "an entry appears twice");
        for (Map.Entry<String, Map<String, Position>> writer : ackedAt.entrySet()) {
            for (Map.Entry<String, Position> acked : writer.getValue().entrySet()) {
                assertEquals(acked.getKey(), atPosition.get(acked.getValue()),
                        "acknowledged append " + acked.getKey() + " is not at its acknowledged position " + acked.getValue());
            }
            // Acknowledgements follow the log: a writer's entries appear in the order it appended them.
            List<Integer> order = log.stream().filter(e -> e.startsWith(writer.getKey() + ":"))
                    .map(e -> Integer.parseInt(e.substring(e.indexOf(':') + 1))).toList();
            assertEquals(order.stream().sorted().toList(), order, "entries of " + writer.getKey() + " out of order in the log");
        }
        for (int i = 1; i < epochs.size(); i++) {
            assertTrue(epochs.get(i) >= epochs.get(i - 1), "an epoch went down along the log at entry " + i);
        }
        for (String seen : seenByReaders) {
            assertTrue(copies.containsKey(seen), "a reader saw " + seen + " as committed, and it vanished");
        }
        assertTrue(terms.get() > 5 && crashes.get() > 0 && ackedTotal > 500, "the run should have exercised takeovers and crashes");
    }
}
