package dev.tenure.sim;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerEntry;
import dev.tenure.ledger.LedgerException;
import dev.tenure.ledger.LedgerOptions;
import dev.tenure.ledger.protocol.LedgerWriterMachine;
import dev.tenure.ledger.Position;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The ledger side of a simulation. Each leader appends through the production
 * {@link LedgerWriterMachine}, driven here through this class's own event queue in virtual time,
 * with a window of several batches in flight; a reader follows the log.
 *
 * <p>Faults, all from the seed: requests that take long (landing after their writer gave up on
 * them, was deposed, or died); deposed writers that do not know it yet and keep appending for a
 * while (or were paused through their deposition); writers that die with writes in flight;
 * an open retried by the application while the first is still running (two writers with one id
 * and one token); and a store that answers conditional writes with 404, 409, 412, 503 and
 * ambiguous errors, applied or not.
 *
 * <p>Checks: every acknowledged append is present exactly once, where it was acknowledged (so no
 * acknowledged append is skipped by readers); each writer's entries appear in the order it
 * appended them; an append failed as definitely not written is not in the log; epochs never go
 * down along the log; nothing a reader saw vanishes. Followers ({@link SimFollowers}) tail the log
 * beside the writers, and their own checker asks that each got every acknowledged append once, in order.
 */
final class SimLedger {

    static final String ACKED = "ledger-acknowledged";
    static final String EPOCHS = "ledger-epochs";
    static final String READERS = "ledger-readers";
    static final String ORDER = "ledger-append-order";
    static final String DEFINITE = "ledger-definite-failures";

    private static final long MS = 1_000_000L;
    /** A client gives up on a request after this long: a write is then ambiguous, and may still land. */
    private static final long REQUEST_TIMEOUT = 300 * MS;

    private record Ev(long at, long seq, Runnable action) implements Comparable<Ev> {
        @Override
        public int compareTo(Ev o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    private record Answer(Optional<Versioned<byte[]>> found, ObjectVersion written, BackendException failure) {
    }

    /** One writer instance: a machine, its appends, and what the faults did to it. */
    private final class Writer {
        final String holder;
        final String label;
        final FencingToken token;
        final LedgerWriterMachine machine;
        final List<String> buffer = new ArrayList<>();
        final Map<Long, List<String>> batches = new HashMap<>();
        final Set<Long> answered = new HashSet<>();
        long batchNo;
        int counter;
        boolean open;
        boolean stopped;
        boolean dead;
        /** Deposed, but appending until then (it has not noticed yet). */
        long zombieUntil = -1;
        long pausedUntil;
        long partitionedUntil;
        long validUntil = -1;
        boolean idle;
        int reopens;
        /** Whether the stall that may hit a stopping writer was drawn already. */
        boolean stallDrawn;

        Writer(String holder, FencingToken token, int instance, int reopens) {
            this.holder = holder;
            this.label = holder + "#" + instance;
            this.token = token;
            this.reopens = reopens;
            this.machine = SimulatedLedgerWriters.fenced("sim", token.epoch(), holder, options, random.split(),
                    mutation.flatMap(Mutation::ledgerSwitch));
        }
    }

    private final SplittableRandom random;
    private final Stall stall;
    private final boolean faults;
    /** {@link Fault#HUNG_REQUESTS}: now and then a request's answer (its client's timeout) comes seconds later. */
    private final boolean hung;
    private final Optional<Mutation> mutation;
    private final boolean ackBeforeDurable;
    private final InMemoryBackend store = new InMemoryBackend("sim-ledger");
    private final Ledger ledger;
    private final LedgerOptions options;
    private final PriorityQueue<Ev> queue = new PriorityQueue<>();
    private long seq;
    private long now;
    private boolean on = true;
    private int instances;
    /** The writer each current leader appends through. */
    private final Map<String, Writer> leaders = new LinkedHashMap<>();
    /** Every writer still running (leaders, zombies, writers resolving after a stop). */
    private final List<Writer> running = new ArrayList<>();
    private final List<Writer> runningScratch = new ArrayList<>();
    /** Sized for a typical run (about 10,000 acknowledged entries): rehashing it was a visible share of a seed. */
    private final Map<String, Position> acked = new LinkedHashMap<>(1 << 15);
    private final Set<String> definitelyNot = new LinkedHashSet<>();
    /** What the following reader saw, and where: an entry retention cut later is not expected in the final log. */
    private final Map<String, Position> seen = new LinkedHashMap<>();
    /** Truncations and lagging readers, interleaved with the writers' requests; null without {@link Fault#RETENTION}. */
    private final SimRetention retention;
    /** The store as the writers reach it: retention may take a step before each of their requests lands. */
    private final AtomicRemoteBackend writersStore;
    private long unknown;
    /** Applications tailing the log with followers, on their own random stream. */
    private final SimFollowers followers;

    /** Stalls the node running a writer (its lease machine too) until a time: the simulation's pause, aimed by this class. */
    interface Stall {
        void until(String holder, long untilNanos);
    }

    SimLedger(SplittableRandom random, Set<Fault> faultSet, Optional<Mutation> mutation, Stall stall) {
        this(random, faultSet, mutation, stall, 0);
    }

    /** @param seed the run's seed, from which the followers draw their own stream (they never touch {@code random}) */
    SimLedger(SplittableRandom random, Set<Fault> faultSet, Optional<Mutation> mutation, Stall stall, long seed) {
        boolean faults = faultSet.contains(Fault.ERRORS) || faultSet.contains(Fault.AMBIGUOUS);
        boolean retention = faultSet.contains(Fault.RETENTION);
        this.stall = stall;
        this.hung = faultSet.contains(Fault.HUNG_REQUESTS);
        this.random = random;
        this.faults = faults;
        this.mutation = mutation;
        this.ackBeforeDurable = mutation.orElse(null) == Mutation.ACK_BEFORE_DURABLE;
        // Virtual time: backoff of 1 to 40 ms, 8 attempts, 2 s per operation.
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(40), 2.0, 8);
        this.options = new LedgerOptions(5, 1 << 20, Duration.ZERO, 4, 100_000, 1_000_000, policy, Duration.ofSeconds(2));
        this.retention = retention ? new SimRetention(store,
                s -> SimulatedLedgerWriters.ledger(s, "sim", options, mutation.flatMap(Mutation::ledgerSwitch)), random.split()) : null;
        this.writersStore = retention ? this.retention.interleaved(store) : store;
        this.ledger = Ledger.open(store, "sim", options);
        this.followers = new SimFollowers(store, "sim", options, mutation.flatMap(Mutation::ledgerSwitch), seed, 3);
    }

    // ---- from the simulation -------------------------------------------------------------------

    /** Runs this ledger's events up to {@code t}; zombie writers append every 10 ms. */
    void tick(long t) {
        runUntil(t);
        now = t;
        if (t % (100 * MS) == 0) {
            // Traffic comes in bursts: a writer idles a third of the time (an idle newer writer is what lets
            // a stale one's fence land above it without a collision).
            for (Writer w : running) {
                w.idle = random.nextInt(3) == 0;
            }
        }
        if (t % (2 * MS) == 0) {
            // 500 appends a second per writer: enough to leave the first MAX_WINDOW sequences after a fence
            // (one batch in flight) within a term, and to keep several batches in flight after that.
            // A copy (appending may stop a writer or open another), into one reused list.
            List<Writer> writers = runningScratch;
            writers.clear();
            for (int i = 0; i < running.size(); i++) {
                writers.add(running.get(i));
            }
            for (int i = 0; i < writers.size(); i++) {
                Writer w = writers.get(i);
                boolean leading = w.validUntil >= now && leaders.get(w.holder) == w;
                if ((leading || w.zombieUntil >= now) && !w.dead && !w.idle && w.pausedUntil <= now) {
                    appendTo(w);
                }
            }
        }
        if (retention != null && t % (10 * MS) == 0) {
            // Retention runs beside the writers: truncations at positions the consumer has read, and
            // lagging readers that it overtakes.
            retention.tick();
        }
        followers.tick(t);
        if (on && faults && random.nextInt(20_000) == 0 && !leaders.isEmpty()) {
            // A leader's process stalls (GC, VM migration): its answers and timers wait.
            Writer w = leaders.values().iterator().next();
            w.pausedUntil = now + random.nextLong(50, 2_000) * MS;
        }
    }

    /** A node became leader with {@code token}: it opens a writer (which fences the ledger). */
    void elected(String holder, FencingToken token) {
        Writer w = openWriter(holder, token, 0);
        if (on && faults && random.nextInt(8) == 0) {
            // The application's open timed out on its side and it opened again with the same id and token,
            // leaving the first writer running (and appending) for a while.
            w.zombieUntil = now + random.nextLong(0, 300) * MS;
            openWriter(holder, token, 0);
        }
    }

    /** A node stopped being leader (or crashed): its writer may not know yet, and its writes in flight still land. */
    void deposed(String holder) {
        Writer w = leaders.remove(holder);
        if (w == null) {
            return;
        }
        int fate = random.nextInt(4);
        if (fate == 0) {
            w.dead = true; // Died: in-flight writes land, nobody hears their answers.
        } else if (fate <= 2) {
            w.zombieUntil = Math.max(now, w.pausedUntil) + random.nextLong(0, 2_500) * MS; // Keeps appending until it notices.
        }
        // Otherwise it notices at once: appends nothing more, and resolves what it has in flight.
    }

    /** The node running {@code holder}'s writers stalls until {@code until}: their answers and timers wait, and they append nothing. */
    void paused(String holder, long until) {
        for (Writer w : running) {
            if (w.holder.equals(holder)) {
                w.pausedUntil = Math.max(w.pausedUntil, until);
            }
        }
    }

    /** The node running {@code holder}'s writers is cut off from the store until {@code until}: their requests are lost and time out. */
    void partitioned(String holder, long until) {
        for (Writer w : running) {
            if (w.holder.equals(holder)) {
                w.partitionedUntil = Math.max(w.partitionedUntil, until);
            }
        }
    }

    /** {@code holder} is a valid leader now (called every 10 ms): its writer appends until told again or deposed. */
    void append(String holder, long epoch) {
        Writer w = leaders.get(holder);
        if (w != null) {
            w.validUntil = now + 10 * MS;
        }
    }

    /** A reader follows the log from the start. */
    void read() {
        try {
            ledger.read(ledger.firstPosition()).forEachRemaining(e -> seen.put(new String(e.data(), StandardCharsets.UTF_8), e.position()));
        } catch (BackendException | LedgerException transientFailure) {
            // Readers try again on their next pass.
        }
    }

    void heal() {
        on = false;
    }

    // ---- writers -------------------------------------------------------------------------------

    private Writer openWriter(String holder, FencingToken token, int reopens) {
        Writer w = new Writer(holder, token, ++instances, reopens);
        leaders.put(holder, w);
        running.add(w);
        handle(w, w.machine.open(now));
        return w;
    }

    private void appendTo(Writer w) {
        if (w.stopped) {
            return;
        }
        String entry = w.label + ":" + w.token.epoch() + ":" + (++w.counter);
        w.buffer.add(entry);
        feed(w);
    }

    /** Hands the machine a batch of what is buffered whenever it has room. */
    private void feed(Writer w) {
        while (!w.buffer.isEmpty() && w.open && !w.dead && w.machine.hasRoom() && !w.machine.finished()) {
            List<String> batch = new ArrayList<>(w.buffer.subList(0, Math.min(w.buffer.size(), options.maxBatchEntries())));
            w.buffer.subList(0, batch.size()).clear();
            long no = ++w.batchNo;
            w.batches.put(no, batch);
            handle(w, w.machine.onBatch(now, no, batch.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList()));
        }
    }

    private void handle(Writer w, List<LedgerWriterMachine.Command> commands) {
        for (LedgerWriterMachine.Command c : commands) {
            if (c instanceof LedgerWriterMachine.Put || c instanceof LedgerWriterMachine.Read) {
                send(w, c);
            } else if (c instanceof LedgerWriterMachine.SetTimer t) {
                at(Math.max(now, t.atNanos()), () -> deliver(w, () -> handle(w, w.machine.onTimer(t.token(), now))));
            } else if (c instanceof LedgerWriterMachine.Acknowledge a) {
                List<String> entries = w.batches.remove(a.batch());
                for (int i = 0; i < entries.size(); i++) {
                    acked.put(entries.get(i), new Position(a.segment(), i));
                }
            } else if (c instanceof LedgerWriterMachine.Fail f) {
                List<String> entries = w.batches.remove(f.batch());
                if (f.error() instanceof LedgerException.OutcomeUnknown) {
                    unknown += entries.size();
                } else {
                    definitelyNot.addAll(entries);
                }
            } else if (c instanceof LedgerWriterMachine.Opened) {
                w.open = true;
            } else if (c instanceof LedgerWriterMachine.Stopped s) {
                w.stopped = true;
                running.remove(w);
                for (String entry : w.buffer) {
                    definitelyNot.add(entry); // never handed to the machine
                }
                w.buffer.clear();
                if (leaders.get(w.holder) == w && !(s.error() instanceof LedgerException.Fenced) && w.reopens < 3) {
                    // The application re-opens its writer with the same token after a failure.
                    openWriter(w.holder, w.token, w.reopens + 1);
                } else if (leaders.get(w.holder) == w) {
                    leaders.remove(w.holder);
                }
            }
        }
        if (on && faults && !w.stallDrawn && w.machine.stopReason().isPresent() && !w.machine.finished()) {
            // The process stalls just as its writer stopped with writes in flight: when it wakes, its
            // resolution deadline and the answers it was waiting for come due together.
            w.stallDrawn = true;
            if (random.nextInt(4) == 0) {
                w.pausedUntil = Math.max(w.pausedUntil, now + random.nextLong(500, 3_000) * MS);
            }
        }
        feed(w);
    }

    private void deliver(Writer w, Runnable r) {
        if (w.dead) {
            return;
        }
        if (w.pausedUntil > now) {
            at(w.pausedUntil, () -> deliver(w, r));
            return;
        }
        r.run();
    }

    // ---- network and store ---------------------------------------------------------------------

    private long latency() {
        if (on && faults && random.nextInt(25) == 0) {
            return random.nextLong(50, 3_000) * MS; // Slow: lands long after the writer gave up on it, maybe after it was deposed.
        }
        // An object store's usual latency: with appends every 10 ms, several batches are in flight at once.
        return random.nextLong(1, 12) * MS;
    }

    private void send(Writer w, LedgerWriterMachine.Command c) {
        long id = c instanceof LedgerWriterMachine.Put p ? p.requestId() : ((LedgerWriterMachine.Read) c).requestId();
        long timeout = REQUEST_TIMEOUT;
        boolean answerLost = false;
        long hangs = -1;
        if (on && hung && random.nextInt(200) == 0) {
            // Hung: the client waits longer than the writer's retry deadline for an answer that never
            // comes; the request reached the store at once, or reaches it any time while the client waits.
            timeout = random.nextLong(3_000, 8_000) * MS;
            answerLost = random.nextBoolean();
            hangs = answerLost ? -1 : random.nextLong(timeout / 2, timeout * 3 / 2);
        }
        if (w.partitionedUntil <= now) {
            boolean lost = answerLost;
            at(now + (hangs >= 0 ? hangs : latency()), () -> {
                if (lost) {
                    carryOut(c);
                } else {
                    arrive(w, c, id);
                }
            });
        }
        at(now + timeout, () -> {
            if (w.answered.contains(id)) {
                return; // Heard already: the timeout is moot (and an exception's stack trace is a visible share of a seed).
            }
            answer(w, c, id, c instanceof LedgerWriterMachine.Put
                    ? new Answer(null, null, BackendException.transport("ledger", true, "request timed out", null))
                    : new Answer(null, null, BackendException.transport("ledger", false, "request timed out", null)));
        });
    }

    private void arrive(Writer w, LedgerWriterMachine.Command c, long id) {
        Answer a = carryOut(c);
        at(now + latency(), () -> answer(w, c, id, a));
    }

    private void answer(Writer w, LedgerWriterMachine.Command c, long id, Answer a) {
        if (!w.answered.add(id)) {
            return; // The client already gave up on it (or heard it).
        }
        if (on && faults && c instanceof LedgerWriterMachine.Put p && p.key().endsWith("/epoch") && random.nextInt(6) == 0) {
            // The worst moment to stall: the epoch record raised, the fence not yet written. The node's lease
            // lapses meanwhile, a newer writer fences and writes, and this one carries on when it wakes.
            stall.until(w.holder, now + random.nextLong(1_000, 3_000) * MS);
        }
        deliver(w, () -> handle(w, c instanceof LedgerWriterMachine.Put
                ? w.machine.onPut(id, now, a.written(), a.failure())
                : w.machine.onRead(id, now, a.found() == null ? Optional.empty() : a.found(), a.failure())));
    }

    private Answer carryOut(LedgerWriterMachine.Command c) {
        return c instanceof LedgerWriterMachine.Put p ? put(p) : read((LedgerWriterMachine.Read) c);
    }

    private Answer put(LedgerWriterMachine.Put p) {
        if (ackBeforeDurable && p.key().contains("/seg/") && random.nextInt(50) == 0) {
            // The mutation: acknowledged, then lost when the store crashes before making it durable.
            return new Answer(null, new ObjectVersion("lost-" + seq), null);
        }
        int dice = faults && on ? random.nextInt(100) : 100;
        try {
            if (dice < 2) {
                writersStore.put(p.key(), p.bytes(), p.condition());
                return new Answer(null, null, BackendException.transport(p.key(), true, "500 after the write was applied", null));
            }
            if (dice < 4) {
                return new Answer(null, null, BackendException.transport(p.key(), true, "connection reset before the write was applied", null));
            }
            if (dice < 6) {
                return new Answer(null, null, BackendException.transport(p.key(), false, "503 SlowDown", null));
            }
            if (dice < 7) {
                return new Answer(null, null, BackendException.preconditionFailed(p.key(), "409 ConditionalRequestConflict (not applied)"));
            }
            if (dice < 8) {
                return new Answer(null, null, BackendException.notFound(p.key(), "404 to a conditional write (not applied)"));
            }
            if (dice < 9) {
                return new Answer(null, null, BackendException.preconditionFailed(p.key(), "412 (spurious, not applied)"));
            }
            return new Answer(null, writersStore.put(p.key(), p.bytes(), p.condition()), null);
        } catch (BackendException e) {
            return new Answer(null, null, e);
        }
    }

    private Answer read(LedgerWriterMachine.Read r) {
        if (faults && on && random.nextInt(50) == 0) {
            return new Answer(null, null, BackendException.transport(r.key(), false, "503 SlowDown", null));
        }
        return new Answer(writersStore.read(r.key()), null, null);
    }

    private void at(long when, Runnable action) {
        queue.add(new Ev(when, seq++, action));
    }

    private void runUntil(long t) {
        while (!queue.isEmpty() && queue.peek().at() <= t) {
            Ev e = queue.poll();
            now = Math.max(now, e.at());
            e.action().run();
        }
    }

    // ---- checks --------------------------------------------------------------------------------

    /** The checks, after every write still in flight has landed and the writers have resolved what they could. */
    List<SimulationResult.Violation> check() {
        heal();
        leaders.clear();
        for (Writer w : running) {
            w.zombieUntil = -1;
        }
        runUntil(now + 60_000 * MS);
        followers.drain();
        List<SimulationResult.Violation> violations = new ArrayList<>();
        Map<String, Integer> copies = new HashMap<>();
        Map<Position, String> at = new HashMap<>();
        Map<String, Integer> lastOfWriter = new HashMap<>();
        long lastEpoch = 0;
        Ledger clean = Ledger.open(store, "sim", options);
        // Below the checkpoint retention decides: SimRetention's checker asks that what it cut was read first.
        Position first = clean.firstPosition();
        for (var it = clean.read(first); it.hasNext(); ) {
            LedgerEntry e = it.next();
            String entry = new String(e.data(), StandardCharsets.UTF_8);
            copies.merge(entry, 1, Integer::sum);
            at.put(e.position(), entry);
            if (e.epoch() < lastEpoch && violations.size() < 5) {
                violations.add(new SimulationResult.Violation(EPOCHS, entry + " has epoch " + e.epoch() + " after epoch " + lastEpoch));
            }
            lastEpoch = Math.max(lastEpoch, e.epoch());
            int colon = entry.lastIndexOf(':');
            String writer = entry.substring(0, entry.indexOf(':'));
            int n = Integer.parseInt(entry.substring(colon + 1));
            Integer before = lastOfWriter.put(writer, n);
            if (before != null && before > n && violations.stream().noneMatch(v -> v.checker().equals(ORDER))) {
                violations.add(new SimulationResult.Violation(ORDER, writer + " appended entry " + before + " before entry " + n
                        + ", but the log has " + n + " after it (at " + e.position() + ")"));
            }
        }
        copies.forEach((entry, n) -> {
            if (n > 1 && violations.size() < 10) {
                violations.add(new SimulationResult.Violation(ACKED, entry + " appears " + n + " times"));
            }
        });
        for (Map.Entry<String, Position> a : acked.entrySet()) {
            if (a.getValue().compareTo(first) >= 0 && !a.getKey().equals(at.get(a.getValue()))) {
                violations.add(new SimulationResult.Violation(ACKED, "acknowledged " + a.getKey() + " at " + a.getValue()
                        + " but readers see " + at.get(a.getValue()) + " there"));
                break;
            }
        }
        // With retention, most of the log is cut before this check: what its readers read counts as in the log too.
        Set<String> readBeforeTheCut = retention == null || definitelyNot.isEmpty() ? Set.of() : retention.entriesRead(definitelyNot);
        for (String s : definitelyNot) {
            if (copies.containsKey(s) || readBeforeTheCut.contains(s)) {
                violations.add(new SimulationResult.Violation(DEFINITE, s + " was failed as not written, and it is in the log"));
                break;
            }
        }
        for (Map.Entry<String, Position> read : seen.entrySet()) {
            String s = read.getKey();
            if (read.getValue().compareTo(first) >= 0 && !copies.containsKey(s)) {
                violations.add(new SimulationResult.Violation(READERS, "a reader saw " + s + " committed, and it vanished"));
                break;
            }
        }
        violations.addAll(followers.check(acked, definitelyNot, at, first));
        if (retention != null) {
            violations.addAll(retention.check(acked, store));
        }
        return violations;
    }

    int acknowledged() {
        return acked.size();
    }

    /** The followers' figures: polls, deliveries, restarts, cuts. */
    String followersSummary() {
        return followers.summary();
    }

    long unknownOutcomes() {
        return unknown;
    }
}
