package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.backend.uri.BackendUris;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fenced writes of the application's own objects (issue 13): a stale token never overwrites a newer holder's object. */
class FencedObjectsTest {

    private static final FencingToken OLD = new FencingToken("orders", 1);
    private static final FencingToken NEW = new FencingToken("orders", 2);

    @TempDir
    Path dir;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(FencedObjects.Stored s) {
        return new String(s.data(), StandardCharsets.UTF_8);
    }

    private static FencedObjects open(AtomicRemoteBackend b, FencingToken t) {
        return FencedObjects.open(b, t, RetryPolicy.tests(), Duration.ofSeconds(5));
    }

    @Test
    void aStaleTokenIsRefusedAndTheNewerObjectStays() {
        InMemoryBackend store = new InMemoryBackend();
        try (FencedObjects old = open(store, OLD); FencedObjects fresh = open(store, NEW)) {
            old.write("state", utf8("v1"));
            assertEquals("v1", text(old.read("state").orElseThrow()));
            assertEquals(OLD, old.read("state").orElseThrow().token());
            fresh.write("state", utf8("v2")); // a newer holder overwrites an older one's object
            FencedWriteException.Fenced f = assertThrows(FencedWriteException.Fenced.class, () -> old.write("state", utf8("stale")));
            assertEquals(2, f.storedEpoch());
            assertEquals(1, f.tokenEpoch());
            FencedObjects.Stored s = FencedObjects.read(store, "state").orElseThrow();
            assertEquals("v2", text(s));
            assertEquals(NEW, s.token());
            fresh.write("state", utf8("v3")); // the same holder writes again
            assertEquals("v3", text(fresh.read("state").orElseThrow()));
            assertTrue(fresh.read("absent").isEmpty());
        }
    }

    @Test
    void afterCloseEveryWriteFailsTypedAndReadsStillWork() {
        InMemoryBackend store = new InMemoryBackend();
        FencedObjects w = open(store, NEW);
        w.write("k", utf8("before"));
        w.close("lease lost: deadline passed");
        assertTrue(w.isClosed());
        FencedWriteException.Closed c = assertThrows(FencedWriteException.Closed.class, () -> w.write("k", utf8("after")));
        assertTrue(c.getMessage().contains("lease lost"), c.getMessage());
        assertThrows(FencedWriteException.Closed.class, () -> w.write("other", utf8("after")));
        assertEquals("before", text(w.read("k").orElseThrow()));
        assertFalse(store.exists("other"));
    }

    @Test
    void objectsWithoutTheHeaderOrOfAnotherLeaseAreLeftAlone() {
        InMemoryBackend store = new InMemoryBackend();
        store.put("plain", utf8("not fenced"), ConditionalPut.ifAbsent());
        try (FencedObjects w = open(store, NEW); FencedObjects other = open(store, new FencingToken("invoices", 9))) {
            assertThrows(FencedWriteException.Foreign.class, () -> w.write("plain", utf8("x")));
            assertThrows(FencedWriteException.Foreign.class, () -> w.read("plain"));
            assertEquals("not fenced", new String(store.read("plain").orElseThrow().value(), StandardCharsets.UTF_8));
            other.write("inv", utf8("i"));
            assertThrows(FencedWriteException.Foreign.class, () -> w.write("inv", utf8("x")), "another lease's epochs do not compare");
            assertThrows(IllegalArgumentException.class, () -> new FencingToken("orders", 0));
        }
    }

    /** A store whose next puts fail as scripted: applied or not, answered ambiguously; then reads may fail too. */
    private static final class Lossy extends ForwardingAtomicBackend {
        final List<Boolean> applyThenLose = new ArrayList<>();
        volatile boolean readsFail;
        volatile boolean readsFailAfterLoss;
        volatile Runnable afterLoss;

        Lossy(AtomicRemoteBackend d) {
            super(d);
        }

        @Override
        public synchronized ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            if (!applyThenLose.isEmpty()) {
                if (applyThenLose.remove(0)) {
                    super.put(key, bytes, condition);
                }
                readsFail |= readsFailAfterLoss;
                Runnable r = afterLoss;
                afterLoss = null;
                if (r != null) {
                    r.run();
                }
                throw BackendException.transport(key, true, "connection reset (answer lost)", null);
            }
            return super.put(key, bytes, condition);
        }

        @Override
        public Optional<Versioned<byte[]>> read(String key) {
            if (readsFail) {
                throw BackendException.transport(key, false, "503 (injected)", null);
            }
            return super.read(key);
        }
    }

    @Test
    void aLostAnswerIsSettledByReadingBackAndNeverReportedAsSuccessOnAGuess() {
        InMemoryBackend raw = new InMemoryBackend();
        Lossy store = new Lossy(raw);
        try (FencedObjects w = open(store, NEW)) {
            store.applyThenLose.add(true); // landed, answer lost: the read-back finds this write's nonce
            w.write("a", utf8("one"));
            assertEquals("one", text(w.read("a").orElseThrow()));
            store.applyThenLose.add(false); // lost before landing: written again
            w.write("a", utf8("two"));
            assertEquals("two", text(w.read("a").orElseThrow()));
            // Lost, then the store stays unreachable: unknown, not success and not a definite failure.
            store.applyThenLose.add(true);
            store.readsFailAfterLoss = true;
            assertThrows(FencedWriteException.OutcomeUnknown.class, () -> w.write("a", utf8("three")));
            store.readsFailAfterLoss = false;
            store.readsFail = false;
            // A read that fails before anything was sent is a definite failure: nothing was written.
            store.readsFail = true;
            assertThrows(BackendException.class, () -> w.write("b", utf8("never")));
            store.readsFail = false;
            assertTrue(w.read("b").isEmpty());
            // Lost before landing, and a newer holder wrote meanwhile: unknown (it might have landed first), not Fenced.
            store.applyThenLose.add(false);
            store.afterLoss = () -> open(raw, new FencingToken("orders", 3)).write("a", utf8("newer"));
            assertThrows(FencedWriteException.OutcomeUnknown.class, () -> w.write("a", utf8("four")));
            assertEquals("newer", text(w.read("a").orElseThrow()));
        }
    }

    /**
     * A stale writer reads the object (epoch 1, so it may write), then a newer holder writes, then
     * the stale writer's conditional write goes out: it fails, and the re-read says Fenced. With the
     * version taken from a second request instead of from the read (the switch off), the stale
     * write lands over the newer one: the test sees it.
     */
    @Test
    void aNewerWriteBetweenTheReadAndTheWriteIsNeverOverwritten() throws Exception {
        for (boolean fixOn : new boolean[] {true, false}) {
            InMemoryBackend raw = new InMemoryBackend();
            open(raw, OLD).write("k", utf8("old-1"));
            AtomicBoolean once = new AtomicBoolean();
            ExecutorService other = Executors.newSingleThreadExecutor();
            AtomicRemoteBackend staleView = new ForwardingAtomicBackend(raw) {
                @Override
                public Optional<Versioned<byte[]>> read(String key) {
                    Optional<Versioned<byte[]>> r = super.read(key);
                    if (once.compareAndSet(false, true)) {
                        try {
                            other.submit(() -> open(raw, NEW).write("k", utf8("new"))).get(5, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    return r;
                }
            };
            FencedObjects stale = open(staleView, OLD);
            stale.versionFromTheRead = fixOn;
            try {
                if (fixOn) {
                    assertThrows(FencedWriteException.Fenced.class, () -> stale.write("k", utf8("old-2")));
                    assertEquals("new", text(FencedObjects.read(raw, "k").orElseThrow()));
                } else {
                    stale.write("k", utf8("old-2"));
                    assertEquals("old-2", text(FencedObjects.read(raw, "k").orElseThrow()), "the mutation overwrites the newer object");
                }
            } finally {
                other.shutdownNow();
            }
        }
    }

    @Test
    void twoWritersRacingOnTheInMemoryStoreTheStaleOneNeverOverwritesTheNewer() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        race(store, store, "mem:", 20, 200);
    }

    @Test
    void twoWritersRacingOnTheLocalStoreTheStaleOneNeverOverwritesTheNewer() throws Exception {
        // Two instances over one directory, as two processes would have.
        race(BackendUris.openAtomic("file:" + dir), BackendUris.openAtomic("file:" + dir), "file:", 5, 30);
    }

    /**
     * Rounds of: an old holder (epoch e) and a new one (epoch e + 1) write the same key at once
     * from two threads, many times, while a third thread reads it. Every round: the epochs the
     * reader sees never go down; once the new holder has written, the object is the new holder's
     * to the end; the old holder's writes after that fail with Fenced.
     */
    private static void race(AtomicRemoteBackend oldView, AtomicRemoteBackend newView, String label, int rounds, int writes)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        int fenced = 0;
        int oldWins = 0;
        try {
            for (int round = 0; round < rounds; round++) {
                String key = "race/" + round;
                FencingToken older = new FencingToken("race", 2 * round + 1);
                FencingToken newer = new FencingToken("race", 2 * round + 2);
                CyclicBarrier start = new CyclicBarrier(3);
                AtomicBoolean newerWrote = new AtomicBoolean();
                AtomicInteger oldAfterNew = new AtomicInteger();
                AtomicInteger oldFenced = new AtomicInteger();
                AtomicInteger oldSucceeded = new AtomicInteger();
                AtomicReference<String> readerSaw = new AtomicReference<>();
                CountDownLatch newerStarting = new CountDownLatch(1);
                Future<?> a = pool.submit(() -> {
                    try (FencedObjects w = open(oldView, older)) {
                        start.await();
                        for (int i = 0; i < writes; i++) {
                            if (i == 3) {
                                // Overlap for sure, even on a store that answers in microseconds: go on once the newer holder starts.
                                newerStarting.await(10, TimeUnit.SECONDS);
                            }
                            boolean newerBefore = newerWrote.get();
                            try {
                                w.write(key, utf8("old-" + i));
                                oldSucceeded.incrementAndGet();
                                if (newerBefore) {
                                    oldAfterNew.incrementAndGet(); // started after the newer holder's write had returned
                                }
                            } catch (FencedWriteException.Fenced expected) {
                                oldFenced.incrementAndGet();
                            } catch (BackendException contention) {
                                assertEquals(BackendException.Kind.PRECONDITION_FAILED, contention.kind());
                            }
                        }
                    }
                    return null;
                });
                Future<?> b = pool.submit(() -> {
                    try (FencedObjects w = open(newView, newer)) {
                        start.await();
                        newerStarting.countDown();
                        for (int i = 0; i < writes; i++) {
                            try {
                                w.write(key, utf8("new-" + i));
                                newerWrote.set(true);
                            } catch (BackendException contention) {
                                assertEquals(BackendException.Kind.PRECONDITION_FAILED, contention.kind());
                            }
                        }
                    }
                    return null;
                });
                Future<?> reader = pool.submit(() -> {
                    start.await();
                    long highest = 0;
                    while (!(a.isDone() && b.isDone())) {
                        Optional<FencedObjects.Stored> s = FencedObjects.read(oldView, key);
                        if (s.isPresent()) {
                            long e = s.get().token().epoch();
                            if (e < highest) {
                                readerSaw.set("epoch " + e + " after " + highest);
                            }
                            highest = Math.max(highest, e);
                        }
                    }
                    return null;
                });
                a.get(60, TimeUnit.SECONDS);
                b.get(60, TimeUnit.SECONDS);
                reader.get(60, TimeUnit.SECONDS);
                assertEquals(null, readerSaw.get(), label + " round " + round + ": the stored epoch went down");
                assertEquals(0, oldAfterNew.get(), label + " round " + round + ": an old write sent after the newer holder's landed");
                assertTrue(newerWrote.get(), "the newer holder is never fenced");
                FencedObjects.Stored last = FencedObjects.read(newView, key).orElseThrow();
                assertEquals(newer, last.token(), label + " round " + round + ": the object ends as the newer holder's");
                assertTrue(text(last).startsWith("new-"));
                fenced += oldFenced.get();
                oldWins += oldSucceeded.get();
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("[fenced] %s: %d rounds of %d writes each way: old holder's writes landed %d times (none sent after the newer"
                + " holder's first write returned), fenced %d times; the object always ends as the newer holder's%n",
                label, rounds, writes, oldWins, fenced);
        assertTrue(fenced > 0, "the race should fence the old holder at least once");
    }
}
