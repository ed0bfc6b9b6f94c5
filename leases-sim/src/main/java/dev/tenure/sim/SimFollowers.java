package dev.tenure.sim;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.Versioned;
import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerEntry;
import dev.tenure.ledger.LedgerException;
import dev.tenure.ledger.LedgerFollower;
import dev.tenure.ledger.LedgerOptions;
import dev.tenure.ledger.Position;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Ledger followers in a simulation: applications tailing the log with {@link LedgerFollower}, in
 * virtual time beside the writers (and retention, when it runs). Each polls at random times,
 * stalls now and then for seconds (so retention can overtake it), restarts now and then (a new
 * process with a cold cache, resuming from the position it stored, with or without the epoch it
 * stored), and meets store errors on its reads. On {@link LedgerException.Truncated} it resumes
 * where the error says, recording what it lost.
 *
 * <p>Followers draw from their own random stream (seeded from the run's seed), never from the
 * simulation's: they only read, so the histories the simulation records are the same with or
 * without them.
 *
 * <p>The checker ({@value #DELIVERY}) asks of every follower, over its whole life: every
 * acknowledged append at or after where it started, and not in a range it was told retention
 * cut, was delivered, at its acknowledged position, exactly once; deliveries come in log order
 * (positions strictly rise) and their epochs never go down; nothing delivered was failed as not
 * written, and what was delivered where the final log is still readable is what a reader reads there.
 */
final class SimFollowers {

    static final String DELIVERY = "follower-delivery";

    private static final long MS = 1_000_000L;

    private record Delivered(String entry, Position position, long epoch) {
    }

    private final class Follower {
        final String id;
        final Position start;
        final List<Delivered> delivered = new ArrayList<>();
        /** Ranges retention cut under it: [requested, firstReadable). */
        final List<Position[]> cut = new ArrayList<>();
        LedgerFollower follower;
        /** What the application stored after applying each poll. */
        Position stored;
        long storedEpoch;
        /** False after a cut: the epoch stored belongs to no position, and the next open replays it from the checkpoint. */
        boolean epochKnown = true;
        long nextPollAt;
        /**
         * Why resuming from the stored position was refused: the readable log ends before a position
         * a follower handed out, so something it delivered is gone. A finding, not a crash of the run.
         */
        String refused;

        Follower(String id, Position start) {
            this.id = id;
            this.start = start;
            this.stored = start;
        }
    }

    private final AtomicRemoteBackend store;
    private final String ledgerName;
    private final LedgerOptions options;
    private final Optional<String> switchedOff;
    private final SplittableRandom random;
    private final List<Follower> followers = new ArrayList<>();
    private boolean faults = true;
    private long polls;
    private long emptyPolls;
    private long restarts;
    private long truncated;
    private long storeErrors;

    /**
     * @param store the ledger's store, read directly (not through the writers' interleaving, whose random is the simulation's)
     * @param seed the run's seed: the followers' own stream is derived from it
     */
    SimFollowers(AtomicRemoteBackend store, String ledgerName, LedgerOptions options, Optional<String> switchedOff, long seed,
            int count) {
        this.random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0x0F0110E55L);
        this.store = faulty(store);
        this.ledgerName = ledgerName;
        // One attempt: a read error reaches the poll at once (no real-time backoff in a virtual-time run), and it polls again later.
        // No segment cache: a follower reads each segment once, and caching every one cost a visible share of a seed's CPU.
        this.options = new LedgerOptions(options.maxBatchEntries(), options.maxBatchBytes(), options.linger(), options.window(),
                options.maxQueuedEntries(), 0, new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 1),
                options.retryDeadline());
        this.switchedOff = switchedOff;
        for (int i = 0; i < count; i++) {
            followers.add(new Follower("follower-" + (i + 1), Position.START));
        }
    }

    private AtomicRemoteBackend faulty(AtomicRemoteBackend raw) {
        return new ForwardingAtomicBackend(raw) {
            @Override
            public Optional<Versioned<byte[]>> read(String key) {
                if (faults && random.nextInt(100) == 0) {
                    throw BackendException.transport(key, false, "503 SlowDown (a follower's read)", null);
                }
                return super.read(key);
            }
        };
    }

    private Ledger newProcess() {
        return SimulatedLedgerWriters.ledger(store, ledgerName, options, switchedOff);
    }

    /** Polls the followers due at {@code now}; some stall, some restart. */
    void tick(long now) {
        for (int i = 0; i < followers.size(); i++) { // every virtual millisecond: no iterator
            Follower f = followers.get(i);
            if (now < f.nextPollAt || f.refused != null) {
                continue;
            }
            int dice = random.nextInt(1000);
            if (dice < 2) {
                f.nextPollAt = now + random.nextLong(1_000, 6_000) * MS; // stalls: retention may pass it meanwhile
                continue;
            }
            if (dice < 4 || f.follower == null) {
                f.follower = null; // a restart: a new process, a cold cache, the stored position
            }
            poll(f);
            f.nextPollAt = now + random.nextLong(1, 40) * MS;
        }
    }

    private void poll(Follower f) {
        try {
            if (f.follower == null) {
                restarts++;
                // Resume as the docs say: from the stored position, replaying the epoch rule, or with the stored epoch too.
                boolean withEpoch = random.nextBoolean() && f.epochKnown;
                f.follower = resume(f, withEpoch);
                if (f.follower == null) {
                    return;
                }
            }
            List<LedgerEntry> got = f.follower.poll();
            polls++;
            if (got.isEmpty()) {
                emptyPolls++;
            }
            for (LedgerEntry e : got) {
                f.delivered.add(new Delivered(new String(e.data(), StandardCharsets.UTF_8), e.position(), e.epoch()));
            }
            f.stored = f.follower.position();
            f.storedEpoch = f.follower.epoch();
            f.epochKnown = true;
        } catch (LedgerException.Truncated t) {
            truncated++;
            f.cut.add(new Position[] {t.requested(), t.firstReadable()});
            f.stored = t.firstReadable();
            f.epochKnown = false;
            f.follower = null;
            // Resume where the error says, replaying the epoch rule from the checkpoint.
            try {
                f.follower = resume(f, false);
            } catch (BackendException | LedgerException again) {
                f.follower = null;
            }
        } catch (BackendException storeError) {
            storeErrors++; // Nothing changed: the next poll tries again.
        }
    }

    /** A follower for a new process at the stored position; null, with {@code refused} set, when the ledger refuses it. */
    private LedgerFollower resume(Follower f, boolean withEpoch) {
        try {
            return withEpoch ? newProcess().follower(f.stored, f.storedEpoch) : newProcess().follower(f.stored);
        } catch (IllegalArgumentException beyondTheLog) {
            f.refused = "could not resume from " + f.stored + ", a position it was given: " + beyondTheLog.getMessage();
            return null;
        }
    }

    /** Faults off; every follower polls until it is at the end of the log. */
    void drain() {
        faults = false;
        for (Follower f : followers) {
            for (int i = 0; i < 1_000_000 && f.refused == null; i++) {
                Position before = f.stored;
                int deliveredBefore = f.delivered.size();
                poll(f);
                if (f.follower != null && f.stored.equals(before) && f.delivered.size() == deliveredBefore) {
                    break;
                }
            }
        }
    }

    /**
     * The checks, after {@link #drain()}.
     *
     * @param acked each acknowledged entry and the position its append returned
     * @param definitelyNot entries failed as definitely not written
     * @param finalLog what a reader reads from {@code first} on, by position
     */
    List<SimulationResult.Violation> check(Map<String, Position> acked, Set<String> definitelyNot, Map<Position, String> finalLog,
            Position first) {
        List<SimulationResult.Violation> out = new ArrayList<>();
        // In position order once for every follower: each walks it beside its deliveries (also in order).
        List<Map.Entry<String, Position>> inOrder = new ArrayList<>(acked.entrySet());
        inOrder.sort(Map.Entry.comparingByValue());
        List<Map.Entry<Position, String>> logInOrder = new ArrayList<>(finalLog.entrySet());
        logInOrder.sort(Map.Entry.comparingByKey());
        Set<String> ackedButFailed = new HashSet<>();
        for (String failed : definitelyNot) {
            if (acked.containsKey(failed)) {
                ackedButFailed.add(failed);
            }
        }
        for (Follower f : followers) {
            Optional<String> v = check(f, acked, inOrder, definitelyNot, ackedButFailed, logInOrder, first);
            if (v.isPresent()) {
                out.add(new SimulationResult.Violation(DELIVERY, f.id + ": " + v.get()));
                if (out.size() >= 3) {
                    break;
                }
            }
        }
        return out;
    }

    private Optional<String> check(Follower f, Map<String, Position> acked, List<Map.Entry<String, Position>> inOrder,
            Set<String> definitelyNot, Set<String> ackedButFailed, List<Map.Entry<Position, String>> logInOrder, Position first) {
        if (f.refused != null) {
            return Optional.of(f.refused);
        }
        // Deliveries rise strictly (checked first), so the acknowledged entry and the final log's entry at
        // each delivery's position are found by walking both in position order beside the deliveries:
        // hash lookups of every delivery were most of this checker's cost.
        Set<String> entries = new HashSet<>();
        Delivered last = null;
        int ackedAt = 0;
        int logAt = 0;
        for (Delivered d : f.delivered) {
            Position p = d.position();
            if (last != null && p.compareTo(last.position()) <= 0) {
                return Optional.of("delivered " + d.entry() + " at " + p + " after " + last.entry() + " at " + last.position());
            }
            if (last != null && d.epoch() < last.epoch()) {
                return Optional.of("delivered " + d.entry() + " (epoch " + d.epoch() + ") at " + p + " after epoch "
                        + last.epoch() + " at " + last.position() + ": a reader skips it");
            }
            while (ackedAt < inOrder.size() && inOrder.get(ackedAt).getValue().compareTo(p) < 0) {
                ackedAt++;
            }
            String there = ackedAt < inOrder.size() && inOrder.get(ackedAt).getValue().equals(p) ? inOrder.get(ackedAt).getKey() : null;
            Position ackedPosition = there != null && there.equals(d.entry()) ? p : acked.get(d.entry());
            // An acknowledged entry delivered twice is at another position the second time (they rise), which
            // the next check refuses: only entries never acknowledged need the set.
            if (ackedPosition == null && !entries.add(d.entry())) {
                return Optional.of("delivered " + d.entry() + " twice");
            }
            if ((ackedPosition != null && !ackedPosition.equals(p)) || (there != null && !there.equals(d.entry()))) {
                return Optional.of("delivered " + d.entry() + " at " + p + ", but " + (there != null ? there
                        + " was acknowledged there" : "it was acknowledged at " + ackedPosition));
            }
            // An acknowledged delivery needs only the few entries both acknowledged and failed (a lookup in
            // the whole failed set for every delivery was a third of this checker).
            boolean failed = ackedPosition != null ? ackedButFailed.contains(d.entry()) : definitelyNot.contains(d.entry());
            if (failed) {
                return Optional.of("delivered " + d.entry() + ", which was failed as not written");
            }
            if (p.compareTo(first) >= 0) {
                while (logAt < logInOrder.size() && logInOrder.get(logAt).getKey().compareTo(p) < 0) {
                    logAt++;
                }
                String inLog = logAt < logInOrder.size() && logInOrder.get(logAt).getKey().equals(p) ? logInOrder.get(logAt).getValue() : null;
                if (!d.entry().equals(inLog)) {
                    return Optional.of("delivered " + d.entry() + " at " + p + " where a reader reads " + inLog);
                }
            }
            last = d;
        }
        // Deliveries rise strictly (checked above), so one walk beside the acknowledged entries finds each one's delivery.
        List<Delivered> delivered = f.delivered;
        int at = 0;
        for (Map.Entry<String, Position> a : inOrder) {
            Position p = a.getValue();
            if (p.compareTo(f.start) < 0 || inCut(f, p)) {
                continue;
            }
            while (at < delivered.size() && delivered.get(at).position().compareTo(p) < 0) {
                at++;
            }
            if (at < delivered.size() && delivered.get(at).position().equals(p) && delivered.get(at).entry().equals(a.getKey())) {
                continue;
            }
            return Optional.of("acknowledged " + a.getKey() + " at " + p + " was never delivered (the follower is at " + f.stored
                    + ", told of " + f.cut.size() + " cuts)");
        }
        return Optional.empty();
    }

    private static boolean inCut(Follower f, Position p) {
        for (Position[] c : f.cut) {
            if (p.compareTo(c[0]) >= 0 && p.compareTo(c[1]) < 0) {
                return true;
            }
        }
        return false;
    }

    /** Gives delivery {@code index} of follower {@code follower} another entry (same position and epoch): for the checker's own test. */
    void replaceDelivery(int follower, int index, String entry) {
        Delivered d = followers.get(follower).delivered.get(index);
        followers.get(follower).delivered.set(index, new Delivered(entry, d.position(), d.epoch()));
    }

    /** Forgets one delivery of follower {@code follower}: the checker's own test shows it then fails. */
    void forgetDelivery(int follower, int index) {
        followers.get(follower).delivered.remove(index);
    }

    /** For the report: what happened, in numbers. */
    String summary() {
        long delivered = followers.stream().mapToLong(f -> f.delivered.size()).sum();
        return followers.size() + " followers: " + polls + " polls (" + emptyPolls + " empty), " + delivered + " deliveries, " + restarts
                + " restarts, " + truncated + " told Truncated, " + storeErrors + " store errors";
    }
}
