package dev.tenure.snapshot;

import static dev.tenure.snapshot.Fixtures.OPTIONS;
import static dev.tenure.snapshot.Fixtures.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.FencingToken;
import dev.tenure.snapshot.Fixtures.Backend;
import dev.tenure.snapshot.Fixtures.Recorder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writers on real threads race to flush from the same base, round after round. Each round every
 * writer opens on the current snapshot, then all flush at once: exactly one may win, and every
 * acknowledged flush must be the base of the next one (nothing acknowledged is written over).
 */
class SnapshotRaceTest {

    private static final int THREADS = 8;
    private static final int ROUNDS = 25;

    @TempDir
    Path dir;

    private record Ack(int round, int thread, SnapshotInfo info) {
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void racingFlushesFromOneBaseHaveOneWinnerAndNoAcknowledgedFlushIsLost(Backend backend) throws Exception {
        Recorder store = new Recorder(backend.create(dir));
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        FencingToken token = new FencingToken("db-writer", 1);
        Path seed = dir.resolve("seed.db");
        write(seed, "seed".getBytes(StandardCharsets.UTF_8));
        snapshots.writer(token, "seed", seed).flush();

        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        List<Ack> acks = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger conflicts = new AtomicInteger();
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            Thread thread = new Thread(() -> {
                Path file = dir.resolve("writer-" + id + ".db");
                try {
                    for (int round = 0; round < ROUNDS; round++) {
                        barrier.await(60, TimeUnit.SECONDS); // the previous round is over for everyone
                        // A loser of the last round holds its refused change: it discards it and starts from the winner.
                        SnapshotWriter writer = snapshots.writer(token, "w" + id, file, LocalFilePolicy.DISCARD_LOCAL_CHANGES);
                        write(file, ("round " + round + " by writer " + id).getBytes(StandardCharsets.UTF_8));
                        barrier.await(60, TimeUnit.SECONDS); // everyone has opened on the same base
                        try {
                            acks.add(new Ack(round, id, writer.flush()));
                        } catch (SnapshotException.Conflict e) {
                            conflicts.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                    barrier.reset();
                }
            }, "snapshot-racer-" + id);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.MINUTES.toMillis(5));
        }
        assertTrue(errors.isEmpty(), "unexpected failures: " + errors);
        assertEquals(THREADS * ROUNDS, acks.size() + conflicts.get(), "every flush was acknowledged or refused as a conflict");

        Map<Integer, List<Ack>> byRound = new HashMap<>();
        for (Ack ack : acks) {
            byRound.computeIfAbsent(ack.round(), r -> new ArrayList<>()).add(ack);
        }
        for (int round = 0; round < ROUNDS; round++) {
            List<Ack> winners = byRound.getOrDefault(round, List.of());
            assertEquals(1, winners.size(), "round " + round + " winners: " + winners);
            assertEquals(round + 2, winners.get(0).info().generation(), "generation 1 is the seed");
        }

        // The history of manifest writes that succeeded: every acknowledged flush is in it, and
        // each flush's manifest names the previous acknowledged flush as the content it replaced.
        Map<Long, Manifest> flushes = new HashMap<>();
        for (byte[] bytes : List.copyOf(store.manifestWrites)) {
            Manifest m = Manifest.decode("snapshots/db/manifest", "db", "snapshots/db/data/", bytes);
            if (m.content() != null) {
                Manifest earlier = flushes.put(m.generation(), m);
                assertTrue(earlier == null || earlier.equals(m), "generation " + m.generation() + " written twice");
            }
        }
        assertEquals(ROUNDS + 1, flushes.size(), "one manifest write per acknowledged flush, none other");
        Ack last = null;
        for (Ack ack : acks.stream().sorted((a, b) -> Long.compare(a.info().generation(), b.info().generation())).toList()) {
            Manifest written = flushes.get(ack.info().generation());
            assertNotNull(written);
            assertEquals(ack.info().contentKey(), written.content().key(), "the acknowledged content is the recorded one");
            assertEquals(flushes.get(ack.info().generation() - 1).content().key(), written.previousContentKey(),
                    "generation " + ack.info().generation() + " was written on top of generation " + (ack.info().generation() - 1));
            last = ack;
        }
        SnapshotInfo latest = snapshots.latest().orElseThrow();
        assertEquals(last.info(), latest, "the final state is the last acknowledged flush");
        SnapshotReader reader = snapshots.reader(dir.resolve("reader.db"));
        assertEquals("round " + (ROUNDS - 1) + " by writer " + last.thread(),
                new String(Fixtures.bytes(reader.localFile()), StandardCharsets.UTF_8));
        System.out.printf("[snapshot race] %s: %d threads x %d rounds, %d acknowledged, %d conflicts%n",
                backend, THREADS, ROUNDS, acks.size(), conflicts.get());
    }
}
