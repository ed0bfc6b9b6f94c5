package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The threaded writer on real threads: flush() and close() racing appenders, and a store that refuses every write. */
class LedgerWriterConcurrencyTest {

    private static final LedgerOptions OPTIONS = new LedgerOptions(50, 1 << 20, Duration.ofMillis(1), 4, 10_000, 256, RetryPolicy.tests(),
            Duration.ofSeconds(5));

    @Test
    void flushAndCloseRacingAppendersNeitherReturnEarlyNorLeaveAFutureUncompleted() throws Exception {
        for (int round = 0; round < 5; round++) {
            Ledger ledger = Ledger.open(new InMemoryBackend(), "race", OPTIONS);
            LedgerWriter writer = ledger.writer(new FencingToken("race", 1), "w");
            List<CompletableFuture<Position>> futures = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch warmedUp = new CountDownLatch(400);
            AtomicInteger refused = new AtomicInteger();
            List<Thread> appenders = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; ; i++) {
                        try {
                            futures.add(writer.append(("t" + id + "-" + i).getBytes(StandardCharsets.UTF_8)));
                            warmedUp.countDown();
                        } catch (LedgerException.Closed closed) {
                            refused.incrementAndGet();
                            return;
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                th.start();
                appenders.add(th);
            }
            assertTrue(warmedUp.await(30, TimeUnit.SECONDS));
            List<CompletableFuture<Position>> beforeFlush;
            synchronized (futures) {
                beforeFlush = new ArrayList<>(futures);
            }
            writer.flush();
            for (CompletableFuture<Position> f : beforeFlush) {
                assertTrue(f.isDone(), "flush() returned before an append made before it was durable");
            }
            writer.close();
            for (Thread th : appenders) {
                th.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertEquals(4, refused.get(), "every appender was refused once closed");
            for (CompletableFuture<Position> f : futures) {
                assertTrue(f.isDone(), "close() left a future uncompleted");
                assertTrue(!f.isCompletedExceptionally(), "close() writes what was queued");
            }
            assertEquals(futures.size(), ledger.stream(Position.START).count());
        }
    }

    @Test
    void aWriterWithoutThreadsWritesWhenPumpedAndAcknowledgesInOrder() {
        Ledger ledger = Ledger.open(new InMemoryBackend(), "pumped", OPTIONS);
        LedgerWriter writer = ledger.manualWriter(new FencingToken("pumped", 3), "p");
        List<CompletableFuture<Position>> futures = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            futures.add(writer.tryAppend(("e" + i).getBytes(StandardCharsets.UTF_8)).orElseThrow());
        }
        assertTrue(futures.stream().noneMatch(CompletableFuture::isDone), "nothing is written before pump()");
        writer.pump();
        for (int i = 1; i < futures.size(); i++) {
            assertTrue(futures.get(i - 1).join().compareTo(futures.get(i).join()) < 0, "acknowledged in append order");
        }
        assertEquals(120, ledger.stream(Position.START).count());
        writer.close();
    }

    @Test
    void aStoreAnswering503ToEveryWriteGetsABoundedNumberOfWritesWithBackoffAndADefiniteFailure() throws Exception {
        AtomicInteger segmentPuts = new AtomicInteger();
        ForwardingAtomicBackend refusing = new ForwardingAtomicBackend(new InMemoryBackend()) {
            @Override
            public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
                if (key.contains("/seg/") && !key.endsWith("0000000001")) {
                    segmentPuts.incrementAndGet();
                    throw BackendException.transport(key, false, "503 SlowDown", null);
                }
                return super.put(key, bytes, condition);
            }
        };
        Ledger ledger = Ledger.open(refusing, "slow", OPTIONS);
        LedgerWriter writer = ledger.writer(new FencingToken("slow", 1), "w");
        long start = System.nanoTime();
        CompletableFuture<Position> f = writer.append("x".getBytes(StandardCharsets.UTF_8));
        ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        assertInstanceOf(LedgerException.Closed.class, failed.getCause(), "never written: a definite failure");
        assertTrue(segmentPuts.get() <= RetryPolicy.tests().maxAttempts(), segmentPuts.get() + " writes");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis >= 5, "backoff between attempts: all " + segmentPuts.get() + " took " + millis + " ms");
        writer.close();
    }
}
