package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerException;
import dev.tenure.ledger.LedgerOptions;
import dev.tenure.ledger.LedgerWriter;
import dev.tenure.ledger.Position;
import dev.tenure.ledger.RetentionMutants;
import dev.tenure.ledger.RetentionMutants.Fix;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link SimRetention} driven by a small simulation of its own: writers taking turns (each term a
 * production thread-free writer), deposed writers' late segments landing past the tail, a faulty
 * store, and retention with lagging readers interleaved between the writers' requests. Clean runs
 * pass; each retention fix switched off is caught on random seeds.
 */
class SimRetentionTest {

    private static final String NAME = "sim";
    /** Backoff of a microsecond: time is virtual here. Small batches, so segments are many. */
    private static final LedgerOptions OPTIONS = new LedgerOptions(3, 1 << 20, Duration.ZERO, 1, 100_000, 1_000_000,
            new RetryPolicy(Duration.ofNanos(1000), Duration.ofNanos(1000), 1.0, 200));

    /** 503s on reads; writes whose answer is lost after they were applied; 503s on writes. */
    private static final class Faulty extends ForwardingAtomicBackend {
        private final SplittableRandom random;
        boolean on = true;

        Faulty(AtomicRemoteBackend raw, SplittableRandom random) {
            super(raw);
            this.random = random;
        }

        @Override
        public Optional<Versioned<byte[]>> read(String key) {
            if (on && random.nextInt(100) < 2) {
                throw BackendException.transport(key, false, "503 SlowDown", null);
            }
            return super.read(key);
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            int dice = on ? random.nextInt(100) : 100;
            if (dice < 2) {
                super.put(key, bytes, condition);
                throw BackendException.transport(key, true, "answer lost after the write was applied", null);
            }
            if (dice < 3) {
                throw BackendException.transport(key, false, "503 SlowDown", null);
            }
            return super.put(key, bytes, condition);
        }
    }

    record Run(List<SimulationResult.Violation> violations, int acknowledged, String summary) {
    }

    static Run run(long seed, Fix... off) {
        SplittableRandom random = new SplittableRandom(seed);
        InMemoryBackend raw = new InMemoryBackend("retention");
        Faulty store = new Faulty(raw, random.split());
        SimRetention retention = new SimRetention(store, RetentionMutants.opener(NAME, OPTIONS, off), random.split());
        Map<String, Position> acked = new LinkedHashMap<>();
        LedgerWriter current = null;
        long epoch = 0;
        int n = 0;
        for (int tick = 0; tick < 300; tick++) {
            if (current == null || random.nextInt(25) == 0) {
                epoch++; // A new term: the old writer is dropped with whatever it had not written.
                try {
                    // Each term is a new process: a ledger with a cold cache, over the interleaving store.
                    Ledger writers = retention.ledger(retention.interleaved(store));
                    current = RetentionMutants.manualWriter(writers, epoch, "w" + epoch, off);
                } catch (LedgerException | BackendException refused) {
                    current = null;
                }
            }
            if (current != null) {
                Map<String, CompletableFuture<Position>> pending = new LinkedHashMap<>();
                for (int i = 0, k = 1 + random.nextInt(4); i < k; i++) {
                    String entry = "w" + epoch + ":" + (++n);
                    current.tryAppend(entry.getBytes(StandardCharsets.UTF_8)).ifPresent(f -> pending.put(entry, f));
                }
                try {
                    current.pump();
                } catch (LedgerException | BackendException stopped) {
                    current = null;
                }
                pending.forEach((entry, f) -> {
                    if (f.isDone() && !f.isCompletedExceptionally()) {
                        acked.put(entry, f.join());
                    }
                });
            }
            if (current != null && epoch > 1 && random.nextInt(6) == 0) {
                // A deposed writer's pipelined write lands long after its writer died, just past the tail.
                long tail = retention.ledger(raw).tailSeq();
                RetentionMutants.lateSegment(raw, NAME, OPTIONS, tail + 1, epoch - 1, "w" + (epoch - 1),
                        ("late-w" + (epoch - 1) + ":" + tick).getBytes(StandardCharsets.UTF_8));
            }
            retention.tick();
        }
        store.on = false;
        return new Run(retention.check(acked, raw), acked.size(), retention.summary());
    }

    @Test
    void withEveryFixOnNoSeedFindsAViolation() {
        int acknowledged = 0;
        for (long seed = 1; seed <= 300; seed++) {
            Run r = run(seed);
            assertEquals(List.of(), r.violations(), "seed " + seed + ": " + r.summary());
            acknowledged += r.acknowledged();
            if (seed == 1) {
                System.out.printf("[retention] seed 1: %d acknowledged, %s%n", r.acknowledged(), r.summary());
            }
        }
        assertTrue(acknowledged > 300 * 100, "writers should have appended steadily: " + acknowledged);
    }

    @Test
    void runsExerciseTruncationRefusalsAndReadersBehindRetention() {
        String all = "";
        for (long seed = 1; seed <= 20; seed++) {
            all += run(seed).summary() + "\n";
        }
        assertTrue(all.matches("(?s).*[1-9]\\d* truncations.*"), all);
        assertTrue(all.matches("(?s).*[1-9]\\d* refused past the tail.*"), all);
        assertTrue(all.matches("(?s).*[1-9]\\d* readers told they fell behind.*"), all);
    }

    @Test
    void item3OffIsCaught() {
        assertCaught(Fix.ITEM_3);
    }

    @Test
    void item4OffIsCaught() {
        assertCaught(Fix.ITEM_4);
    }

    @Test
    void item7OffIsCaught() {
        assertCaught(Fix.ITEM_7);
    }

    private static void assertCaught(Fix off) {
        List<Long> caught = new ArrayList<>();
        SimulationResult.Violation first = null;
        for (long seed = 1; seed <= 1000 && caught.size() < 3; seed++) {
            Run r = run(seed, off);
            if (!r.violations().isEmpty()) {
                caught.add(seed);
                first = first == null ? r.violations().get(0) : first;
            }
        }
        assertTrue(!caught.isEmpty(), off + " switched off was not caught within 1,000 seeds");
        System.out.printf("[retention] %s off caught at seeds %s: %s: %s%n", off, caught, first.checker(), first.detail());
    }
}
