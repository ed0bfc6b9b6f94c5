package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.ledger.protocol.LedgerWriterMachine;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * What keeping one batch in flight for the first MAX_WINDOW sequences after a fence costs: the
 * time to write a burst right after opening, on a store with 20 ms writes, with that rule and
 * without it (full window from the fence). Prints the figures docs/ledger.md quotes.
 */
class LedgerFailoverCostTest {

    /** A store whose writes take 20 ms (a real delay: the writer under test runs on real threads). */
    private static final class SlowWrites extends ForwardingAtomicBackend {
        SlowWrites() {
            super(new InMemoryBackend());
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            return super.put(key, bytes, condition);
        }
    }

    private static long burstMillis(int entries, EnumSet<LedgerWriterMachine.Switch> off) throws Exception {
        LedgerOptions options = new LedgerOptions(10, 1 << 20, Duration.ofMillis(1), 8, 100_000, 1024, RetryPolicy.tests());
        Ledger ledger = Ledger.open(new SlowWrites(), "cost", options);
        LedgerWriter writer = LedgerWriter.driving(ledger,
                LedgerWriterMachine.mutated("cost", 1, "w", options, new SplittableRandom(1), off));
        long start = System.nanoTime();
        List<CompletableFuture<Position>> all = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            all.add(writer.append(("e" + i).getBytes(StandardCharsets.UTF_8)));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        writer.close();
        assertEquals(entries, ledger.stream(Position.START).count());
        return millis;
    }

    @Test
    void theFirstSegmentsAfterAFenceGoOneAtATime() throws Exception {
        int entries = 640; // 64 full batches of 10: exactly the sequences after the fence that go one at a time
        long safe = burstMillis(entries, EnumSet.noneOf(LedgerWriterMachine.Switch.class));
        long pipelined = burstMillis(entries, EnumSet.of(LedgerWriterMachine.Switch.PIPELINE_FROM_THE_FENCE));
        System.out.printf("[ledger] %d entries right after a fence, 20 ms writes, window 8: %d ms one batch at a time for 64 sequences,"
                + " %d ms pipelined from the fence%n", entries, safe, pipelined);
        assertTrue(safe >= pipelined, "one at a time cannot be faster: " + safe + " vs " + pipelined);
    }
}
