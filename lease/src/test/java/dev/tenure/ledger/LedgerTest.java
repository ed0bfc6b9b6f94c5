package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.ledger.protocol.Segment;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LedgerTest {

    private static final LedgerOptions OPTIONS = new LedgerOptions(100, 1 << 20, Duration.ofMillis(1), 4, 10_000, 256, RetryPolicy.tests());

    /** Counts requests; can turn segment writes ambiguous after applying them, or hold them at a gate. */
    static final class TestStore extends ForwardingAtomicBackend {
        final AtomicInteger segmentPuts = new AtomicInteger();
        final AtomicInteger existsCalls = new AtomicInteger();
        final AtomicInteger ambiguousLeft = new AtomicInteger();
        volatile CountDownLatch gate;

        TestStore() {
            super(new InMemoryBackend());
        }

        /** The store underneath, bypassing the counting and the faults. */
        AtomicRemoteBackend raw() {
            return delegate;
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            if (key.contains("/seg/")) {
                segmentPuts.incrementAndGet();
                CountDownLatch g = gate;
                if (g != null) {
                    try {
                        g.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (ambiguousLeft.getAndDecrement() > 0) {
                    super.put(key, bytes, condition);
                    throw BackendException.transport(key, true, "answer lost after the write was applied", null);
                }
            }
            return super.put(key, bytes, condition);
        }

        @Override
        public boolean exists(String key) {
            existsCalls.incrementAndGet();
            return super.exists(key);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> contents(Ledger ledger) {
        List<String> out = new ArrayList<>();
        ledger.read(Position.START).forEachRemaining(e -> out.add(new String(e.data(), StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void appendsAreDurableBeforeTheyAreAcknowledgedAndReadBackInOrder() throws Exception {
        TestStore store = new TestStore();
        Ledger ledger = Ledger.open(store, "orders", OPTIONS);
        List<Position> positions = new ArrayList<>();
        try (LedgerWriter w = ledger.writer(new FencingToken("writer", 3), "node-a")) {
            for (int i = 0; i < 50; i++) {
                Position p = w.append(utf8("entry-" + i)).get(10, TimeUnit.SECONDS);
                positions.add(p);
                assertTrue(store.raw().exists(ledger.segmentKey(p.segment())), "acknowledged only once durable");
            }
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            expected.add("entry-" + i);
        }
        assertEquals(expected, contents(Ledger.open(store, "orders", OPTIONS)), "a fresh reader sees every entry, in order");
        for (int i = 1; i < positions.size(); i++) {
            assertTrue(positions.get(i).compareTo(positions.get(i - 1)) > 0);
        }
        LedgerEntry first = ledger.read(Position.START).next();
        assertEquals(3, first.epoch());
        assertEquals("node-a", first.writer());
    }

    @Test
    void concurrentAppendsAreGroupedIntoFewSegments() throws Exception {
        TestStore store = new TestStore();
        Ledger ledger = Ledger.open(store, "batched", OPTIONS);
        List<CompletableFuture<Position>> futures = java.util.Collections.synchronizedList(new ArrayList<>());
        try (LedgerWriter w = ledger.writer(new FencingToken("writer", 1), "node-a")) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 250; i++) {
                        try {
                            futures.add(w.append(utf8(id + ":" + i)));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            w.flush();
        }
        Set<Position> unique = new HashSet<>();
        for (CompletableFuture<Position> f : futures) {
            unique.add(f.get());
        }
        assertEquals(2000, unique.size());
        assertEquals(2000, contents(ledger).size());
        System.out.printf("[ledger] 2,000 concurrent appends in %d segment writes%n", store.segmentPuts.get());
        assertTrue(store.segmentPuts.get() < 200, "group commit should batch: " + store.segmentPuts.get() + " writes");
    }

    @Test
    void aNewerWriterFencesTheOldOneAndReadersNeverSeeItsLaterWrites() throws Exception {
        TestStore store = new TestStore();
        Ledger ledger = Ledger.open(store, "fenced", OPTIONS);
        LedgerWriter old = ledger.writer(new FencingToken("writer", 1), "old");
        for (int i = 0; i < 5; i++) {
            old.append(utf8("old-" + i)).get(10, TimeUnit.SECONDS);
        }
        try (LedgerWriter newer = ledger.writer(new FencingToken("writer", 2), "new")) {
            CompletableFuture<Position> late = old.append(utf8("old-late"));
            ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS));
            assertInstanceOf(LedgerException.Fenced.class, e.getCause(), e.toString());
            assertThrows(LedgerException.Fenced.class, () -> old.append(utf8("again")));
            newer.append(utf8("new-0")).get(10, TimeUnit.SECONDS);
        }
        old.close();
        assertEquals(List.of("old-0", "old-1", "old-2", "old-3", "old-4", "new-0"), contents(ledger));
        assertThrows(LedgerException.Fenced.class, () -> ledger.writer(new FencingToken("writer", 1), "zombie"),
                "a writer with a lower epoch than the fence cannot even open");
    }

    @Test
    void aStaleSegmentWrittenAfterTheFenceIsSkippedByReaders() throws Exception {
        TestStore store = new TestStore();
        Ledger ledger = Ledger.open(store, "stale", OPTIONS);
        try (LedgerWriter a = ledger.writer(new FencingToken("writer", 1), "a")) {
            a.append(utf8("a-0")).get(10, TimeUnit.SECONDS);
        }
        try (LedgerWriter b = ledger.writer(new FencingToken("writer", 2), "b")) {
            // A paused epoch-1 writer's segment lands after b's fence, at the next free sequence.
            long next = ledger.tailSeq() + 1;
            store.put(ledger.segmentKey(next), new Segment(next, 1, "a", "a-late", false, List.of(utf8("a-late"))).encode(),
                    ConditionalPut.ifAbsent());
            b.append(utf8("b-0")).get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of("a-0", "b-0"), contents(ledger), "nothing after a fence may have a lower epoch");
    }

    @Test
    void aGapLeftByADeadWritersPipelineIsFilledSoReadersReachTheNewWriter() throws Exception {
        TestStore store = new TestStore();
        Ledger ledger = Ledger.open(store, "gap", OPTIONS);
        try (LedgerWriter a = ledger.writer(new FencingToken("writer", 1), "a")) {
            a.append(utf8("a-0")).get(10, TimeUnit.SECONDS);
        }
        // Writer a died with two segments in flight: the later one landed, the earlier never did.
        long gap = ledger.tailSeq() + 1;
        store.put(ledger.segmentKey(gap + 1), new Segment(gap + 1, 1, "a", "a-orphan", false, List.of(utf8("a-orphan"))).encode(),
                ConditionalPut.ifAbsent());
        try (LedgerWriter b = ledger.writer(new FencingToken("writer", 2), "b")) {
            b.append(utf8("b-0")).get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of("a-0", "b-0"), contents(ledger), "the gap is filled, the orphan skipped, b's entry readable");
    }

    @Test
    void anAmbiguousSegmentWriteIsResolvedByItsBatchIdExactlyOnce() throws Exception {
        TestStore store = new TestStore();
        store.ambiguousLeft.set(3);
        Ledger ledger = Ledger.open(store, "exactly-once", OPTIONS);
        try (LedgerWriter w = ledger.writer(new FencingToken("writer", 1), "a")) {
            for (int i = 0; i < 10; i++) {
                w.append(utf8("e" + i)).get(10, TimeUnit.SECONDS);
            }
        }
        assertEquals(List.of("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"), contents(ledger));
    }

    @Test
    void concurrentMultiWritersNeverLoseOrDuplicateAnAcknowledgedEntry() throws Exception {
        TestStore store = new TestStore();
        Ledger ledger = Ledger.open(store, "multi", OPTIONS);
        Map<String, List<Position>> acked = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            String id = "w" + w;
            Thread t = new Thread(() -> {
                try (LedgerWriter writer = ledger.multiWriter(id)) {
                    List<CompletableFuture<Position>> mine = new ArrayList<>();
                    for (int i = 0; i < 300; i++) {
                        mine.add(writer.append(utf8(id + ":" + i)));
                    }
                    List<Position> positions = new ArrayList<>();
                    for (CompletableFuture<Position> f : mine) {
                        positions.add(f.get(30, TimeUnit.SECONDS));
                    }
                    acked.put(id, positions);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        Map<String, Integer> seen = new HashMap<>();
        Map<String, Integer> lastIndexPerWriter = new HashMap<>();
        ledger.read(Position.START).forEachRemaining(e -> {
            String s = new String(e.data(), StandardCharsets.UTF_8);
            seen.merge(s, 1, Integer::sum);
            String writer = s.substring(0, s.indexOf(':'));
            int index = Integer.parseInt(s.substring(s.indexOf(':') + 1));
            Integer previous = lastIndexPerWriter.put(writer, index);
            assertTrue(previous == null || previous < index, "entries of " + writer + " out of order: " + previous + " then " + index);
        });
        assertEquals(1200, seen.size(), "every acknowledged entry is present");
        assertTrue(seen.values().stream().allMatch(n -> n == 1), "no entry appears twice");
        assertEquals(4, acked.size());
    }

    @Test
    void aCorruptSegmentIsATypedErrorNamingIt() throws Exception {
        TestStore store = new TestStore();
        Ledger ledger = Ledger.open(store, "corrupt", OPTIONS);
        try (LedgerWriter w = ledger.writer(new FencingToken("writer", 1), "a")) {
            w.append(utf8("good")).get(10, TimeUnit.SECONDS);
        }
        String key = ledger.segmentKey(2);
        byte[] raw = store.read(key).orElseThrow().value();
        raw[raw.length / 2] ^= 0x55;
        store.raw().upload(writeTemp(raw), key);
        LedgerException.Corrupt e = assertThrows(LedgerException.Corrupt.class, () -> contents(Ledger.open(store, "corrupt", OPTIONS)));
        assertTrue(e.getMessage().contains(key) && e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void findingTheTailCostsLogarithmicallyManyRequests() throws Exception {
        TestStore store = new TestStore();
        Ledger ledger = Ledger.open(store, "long", new LedgerOptions(1, 1 << 20, Duration.ZERO, 8, 10_000, 0, RetryPolicy.tests()));
        try (LedgerWriter w = ledger.writer(new FencingToken("writer", 1), "a")) {
            List<CompletableFuture<Position>> all = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                all.add(w.append(utf8("e" + i)));
            }
            for (CompletableFuture<Position> f : all) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        store.existsCalls.set(0);
        long tail = Ledger.open(store, "long", OPTIONS).tailSeq();
        assertEquals(1001, tail, "1,000 one-entry segments after the fence");
        System.out.printf("[ledger] tail of 1,001 segments found in %d requests%n", store.existsCalls.get());
        assertTrue(store.existsCalls.get() <= 25, "gallop and bisect: " + store.existsCalls.get());
    }

    @Test
    void aFullQueueRefusesTryAppendUntilThereIsRoom() throws Exception {
        TestStore store = new TestStore();
        Ledger ledger = Ledger.open(store, "pressure", OPTIONS.withMaxQueued(5).withBatching(1, 1));
        try (LedgerWriter w = ledger.writer(new FencingToken("writer", 1), "a")) {
            store.gate = new CountDownLatch(1);
            List<CompletableFuture<Position>> held = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                held.add(w.tryAppend(utf8("e" + i)).orElseThrow());
            }
            assertTrue(w.tryAppend(utf8("one too many")).isEmpty(), "the queue is full");
            store.gate.countDown();
            store.gate = null;
            for (CompletableFuture<Position> f : held) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertTrue(w.tryAppend(utf8("room again")).isPresent());
        }
    }

    private static java.nio.file.Path writeTemp(byte[] bytes) throws java.io.IOException {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("segment", ".bin");
        f.toFile().deleteOnExit();
        java.nio.file.Files.write(f, bytes);
        return f;
    }

}
