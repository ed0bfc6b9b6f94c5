package dev.tenure.backend.probe;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Contention races on real threads: the evidence that a store's compare-and-swap is atomic. Used
 * by the conformance suite, the multi-process tests and {@code tenure verify}. An ambiguous
 * failure is never counted as a win or a loss on a guess: the racer reads the object back and
 * looks for its own unique content.
 */
public final class ContentionRaces {

    /** How long stopped racers may take to finish the request each is in: a request's own timeout bounds it. */
    private static final java.time.Duration STRAGGLER_WAIT = java.time.Duration.ofMinutes(2);

    /** An increment racer gives up after this many refusals in a row: the store is not making progress. */
    static final int MAX_REFUSED_IN_A_ROW = 5_000;

    private ContentionRaces() {
    }

    /**
     * Outcome of a create race.
     *
     * @param rounds rounds run
     * @param threads threads per round
     * @param winners total winning claims over all rounds (equal to {@code rounds} when correct)
     * @param losers total PreconditionFailed answers
     * @param ambiguous ambiguous failures resolved by reading back
     * @param roundsWithoutExactlyOneWinner the rounds that went wrong
     * @param roundsWon the rounds some racer of this race won
     */
    public record CreateRaceResult(int rounds, int threads, long winners, long losers, long ambiguous,
            List<Integer> roundsWithoutExactlyOneWinner, List<Integer> roundsWon) {
        @Override
        public String toString() {
            return rounds + " rounds x " + threads + " threads: " + winners + " winners, " + losers
                    + " PreconditionFailed, " + ambiguous + " ambiguous (resolved by re-read), "
                    + roundsWithoutExactlyOneWinner.size() + " rounds without exactly one winner";
        }
    }

    /**
     * Outcome of an increment race.
     *
     * @param threads threads incrementing
     * @param successfulIncrements increments whose write was acknowledged (or proved by re-read)
     * @param finalValue the counter read at the end
     * @param conflicts PreconditionFailed answers (retried after a re-read)
     * @param ambiguous ambiguous failures resolved by reading back
     */
    public record IncrementResult(int threads, long successfulIncrements, long finalValue, long conflicts, long ambiguous) {
        @Override
        public String toString() {
            return threads + " threads: " + successfulIncrements + " successful increments, final value " + finalValue
                    + ", " + conflicts + " conflicts, " + ambiguous + " ambiguous (resolved by re-read), "
                    + (successfulIncrements - finalValue) + " lost";
        }
    }

    /**
     * {@code threads} threads race {@code IfAbsent} on key {@code prefix + round} for each round,
     * starting each round together at a barrier.
     */
    public static CreateRaceResult createRace(AtomicRemoteBackend backend, String prefix, int threads, int rounds)
            throws InterruptedException {
        return createRace(backend, prefix, threads, rounds, round -> {
        });
    }

    /**
     * As {@link #createRace(AtomicRemoteBackend, String, int, int)}, with {@code roundGate} run
     * once before each round while every racer of this process waits: a hook for lining up the
     * rounds of several processes.
     */
    public static CreateRaceResult createRace(AtomicRemoteBackend backend, String prefix, int threads, int rounds,
            IntConsumer roundGate) throws InterruptedException {
        AtomicIntegerArray claims = new AtomicIntegerArray(rounds);
        AtomicLong losers = new AtomicLong();
        AtomicLong ambiguous = new AtomicLong();
        AtomicInteger nextRound = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(threads, () -> roundGate.accept(nextRound.getAndIncrement()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            ExecutorCompletionService<Object> racers = new ExecutorCompletionService<>(pool);
            for (int t = 0; t < threads; t++) {
                String me = "racer-" + t + "-" + UUID.randomUUID();
                racers.submit(() -> {
                    for (int round = 0; round < rounds; round++) {
                        start.await(120, TimeUnit.SECONDS);
                        String key = prefix + round;
                        switch (claim(backend, key, me)) {
                            case WON -> claims.incrementAndGet(round);
                            case LOST -> losers.incrementAndGet();
                            case WON_AFTER_AMBIGUITY -> {
                                ambiguous.incrementAndGet();
                                claims.incrementAndGet(round);
                            }
                            case LOST_AFTER_AMBIGUITY -> {
                                ambiguous.incrementAndGet();
                                losers.incrementAndGet();
                            }
                        }
                    }
                    return null;
                });
            }
            awaitAll(racers, threads);
        } finally {
            stop(pool);
        }
        List<Integer> bad = new ArrayList<>();
        long winners = 0;
        for (int round = 0; round < rounds; round++) {
            winners += claims.get(round);
            if (claims.get(round) != 1) {
                bad.add(round);
            }
        }
        return new CreateRaceResult(rounds, threads, winners, losers.get(), ambiguous.get(), bad, roundsWon(claims));
    }

    /**
     * Waits for every racer, in the order they finish: the first failure is rethrown as it was (a
     * BackendException stays one) at once, not after the racers still waiting at the round's barrier
     * time out.
     */
    private static void awaitAll(ExecutorCompletionService<Object> racers, int count) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            Future<Object> racer = racers.poll(30, TimeUnit.MINUTES);
            if (racer == null) {
                throw new IllegalStateException("a racer did not finish within 30 minutes");
            }
            try {
                racer.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException("a racer failed: " + e.getCause(), e.getCause());
            }
        }
    }

    /**
     * Stops the racers and waits until none is left running: after one racer fails the others may
     * be mid-request, and a write landing after the probe's clean-up listed its keys would be left behind.
     */
    private static void stop(ExecutorService pool) throws InterruptedException {
        pool.shutdownNow();
        // Not an error of its own when it times out: this runs in a finally, after the failure that matters,
        // and what a straggler writes later is what the clean-up then reports as left behind.
        pool.awaitTermination(STRAGGLER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static List<Integer> roundsWon(AtomicIntegerArray claims) {
        List<Integer> won = new ArrayList<>();
        for (int round = 0; round < claims.length(); round++) {
            if (claims.get(round) > 0) {
                won.add(round);
            }
        }
        return won;
    }

    /** How one attempt to create a key ended. */
    public enum Claim { WON, LOST, WON_AFTER_AMBIGUITY, LOST_AFTER_AMBIGUITY }

    /** One attempt to create {@code key} holding {@code me}; ambiguity is resolved by reading back. */
    public static Claim claim(AtomicRemoteBackend backend, String key, String me) {
        try {
            backend.put(key, me.getBytes(StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
            return Claim.WON;
        } catch (BackendException e) {
            if (e.kind() == BackendException.Kind.PRECONDITION_FAILED) {
                return Claim.LOST;
            }
            if (!e.ambiguous()) {
                throw e;
            }
            Optional<byte[]> stored = readBack(backend, key);
            boolean mine = stored.isPresent() && new String(stored.get(), StandardCharsets.UTF_8).equals(me);
            return mine ? Claim.WON_AFTER_AMBIGUITY : Claim.LOST_AFTER_AMBIGUITY;
        }
    }

    /**
     * {@code threads} threads each make {@code perThread} successful read-modify-write increments
     * of the counter under {@code key}, which holds {@code "<value>:<nonce>"}.
     */
    public static IncrementResult incrementRace(AtomicRemoteBackend backend, String key, int threads, int perThread)
            throws InterruptedException {
        AtomicLong successes = new AtomicLong();
        AtomicLong conflicts = new AtomicLong();
        AtomicLong ambiguous = new AtomicLong();
        try {
            backend.put(key, encode(0, "initial"), ConditionalPut.ifAbsent());
        } catch (BackendException e) {
            if (e.kind() != BackendException.Kind.PRECONDITION_FAILED) {
                throw e;
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier start = new CyclicBarrier(threads);
        try {
            ExecutorCompletionService<Object> workers = new ExecutorCompletionService<>(pool);
            for (int t = 0; t < threads; t++) {
                workers.submit(() -> {
                    start.await(120, TimeUnit.SECONDS);
                    int refusedInARow = 0;
                    for (int done = 0; done < perThread; ) {
                        if (refusedInARow >= MAX_REFUSED_IN_A_ROW) {
                            throw BackendException.internal(key, "no increment of " + key + " succeeded in "
                                    + MAX_REFUSED_IN_A_ROW + " attempts in a row: the store refuses even current versions", null);
                        }
                        int before = done;
                        switch (increment(backend, key)) {
                            case WON -> {
                                done++;
                                successes.incrementAndGet();
                            }
                            case WON_AFTER_AMBIGUITY -> {
                                done++;
                                successes.incrementAndGet();
                                ambiguous.incrementAndGet();
                            }
                            case LOST -> conflicts.incrementAndGet();
                            case LOST_AFTER_AMBIGUITY -> ambiguous.incrementAndGet();
                        }
                        refusedInARow = done == before ? refusedInARow + 1 : 0;
                    }
                    return null;
                });
            }
            awaitAll(workers, threads);
        } finally {
            stop(pool);
        }
        long finalValue = value(backend.read(key).orElseThrow().value());
        return new IncrementResult(threads, successes.get(), finalValue, conflicts.get(), ambiguous.get());
    }

    /**
     * One read-modify-write increment attempt. A read that fails transiently (not a mutation, so
     * never ambiguous) counts as a lost attempt; the write's own ambiguity is resolved by reading
     * back until the read succeeds.
     */
    public static Claim increment(AtomicRemoteBackend backend, String key) {
        Versioned<byte[]> current;
        try {
            current = backend.read(key).orElseThrow(
                    () -> BackendException.internal(key, "the counter " + key + " vanished during the race", null));
        } catch (BackendException e) {
            if (e.retryable()) {
                return Claim.LOST;
            }
            throw e;
        }
        String nonce = UUID.randomUUID().toString();
        ObjectVersion seen = current.version();
        try {
            backend.put(key, encode(value(current.value()) + 1, nonce), ConditionalPut.ifVersion(seen));
            return Claim.WON;
        } catch (BackendException e) {
            if (e.kind() == BackendException.Kind.PRECONDITION_FAILED) {
                return Claim.LOST;
            }
            if (e.retryable() && !e.ambiguous()) {
                return Claim.LOST;
            }
            if (!e.ambiguous()) {
                throw e;
            }
            String stored = new String(readBack(backend, key).orElseThrow(), StandardCharsets.UTF_8);
            return stored.endsWith(":" + nonce) ? Claim.WON_AFTER_AMBIGUITY : Claim.LOST_AFTER_AMBIGUITY;
        }
    }

    /** Reads a key after an ambiguous write, retrying transient read failures a bounded number of times. */
    private static Optional<byte[]> readBack(AtomicRemoteBackend backend, String key) {
        for (int attempt = 1; ; attempt++) {
            try {
                return backend.read(key).map(Versioned::value);
            } catch (BackendException e) {
                if (!e.retryable() || attempt >= 20) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10L * attempt));
            }
        }
    }

    private static byte[] encode(long value, String nonce) {
        return (value + ":" + nonce).getBytes(StandardCharsets.UTF_8);
    }

    /** The counter value in {@code "<value>:<nonce>"}. */
    public static long value(byte[] stored) {
        String s = new String(stored, StandardCharsets.UTF_8);
        return Long.parseLong(s.substring(0, s.indexOf(':')));
    }
}
