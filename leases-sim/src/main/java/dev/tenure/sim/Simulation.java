package dev.tenure.sim;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.protocol.CommandDispatcher;
import dev.tenure.lease.LeaseClock;
import dev.tenure.lease.LeaseConfig;
import dev.tenure.lease.protocol.LeaseMachine;
import dev.tenure.lease.LeaseRecordException;
import dev.tenure.lease.protocol.ProtocolMutation;
import dev.tenure.lease.RevocationReason;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One deterministic run: nodes running the production {@link LeaseMachine} on their own drifting
 * clocks, a simulated network and store in front of an {@link InMemoryBackend}, faults from a
 * seeded PRNG, and a recorder the checkers read. Single-threaded: the same seed gives the same
 * history, byte for byte.
 */
public final class Simulation {

    static final String NAME = "writer";
    private static final long MS = 1_000_000L;
    /** A record's nonce as the checkers read it; {@link #nonceOf} finds the same without a regex ({@code NonceOfTest}). */
    static final Pattern NONCE = Pattern.compile("\"nonce\":\"([0-9a-f]+)\"");
    private static final Pattern EPOCH = Pattern.compile("\"epoch\":(\\d+)");
    private static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");
    private static final Pattern TTL = Pattern.compile("\"ttlMillis\":(\\d+)");
    /** Records beyond this TTL are refused as corrupt; a takeover of one (a mutation) is early whatever the clock says. */
    private static final long MAX_RECORD_TTL_MILLIS = 31_622_400_000L;

    private final SimulationConfig config;
    private final SplittableRandom random;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final InMemoryBackend store = new InMemoryBackend("sim");
    private final List<Node> nodes = new ArrayList<>();
    private final Recorder recorder = new Recorder();
    /** The valid holders of the current sample (see {@link #sample()}). */
    private final List<String> validScratch = new ArrayList<>(2);
    private final long end;
    private final long healAt;
    private long now;
    private long seq;
    private String storeKey;
    /** Leaders' appends and a following reader, when the run includes the ledger. */
    private final SimLedger ledger;
    /** Writes acknowledged but not yet durable (only under {@link Mutation#ACK_BEFORE_DURABLE}). */
    private final List<byte[]> undurable = new ArrayList<>();
    /**
     * Operations the store has applied whose answer is still on its way to the node: an answer
     * due after the end of the run is never delivered, so its operation must still enter the
     * history (see {@link #run()}).
     */
    private final List<LinearizabilityChecker.Op> inFlight = new ArrayList<>();
    /** The nonce in the read answer being handled ("" when absent), for the guess check; null outside one. */
    private String answeredNonce;
    /** Until then the store refuses everything (disk full). */
    private long storeRejectsUntil;
    /** The outside writer of {@link Fault#FOREIGN_RECORD}: valid until, its epoch, its nonce, and when it repairs. */
    private long outsiderUntil;
    private long outsiderEpoch;
    private String outsiderNonce;
    private long outsiderRepairAt;

    /** A record version a node was shown, first at {@code firstSeenLocal} on its clock. */
    private record Seen(long firstSeenLocal, byte[] record) {
    }

    private record Event(long at, long seq, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    /** A lease holder: a machine, a clock, and what the faults did to it. */
    final class Node {
        final int index;
        final String id;
        final double rate;
        final long wallOffsetMillis;
        int incarnation;
        LeaseMachine machine;
        boolean crashed;
        long pausedUntil;
        long partitionedUntil;
        /**
         * What the node's workers see: its lease handle, driven by the machine's notifications the
         * way LeaseDriver drives Lease handles (valid from Acquired, extended by Renewed, ended by
         * Releasing, Released or Revoked, and by its own deadline).
         */
        boolean handleLive;
        long handleUntil;
        boolean firstRequestSent;
        /** Contending with deadline-bound attempts ({@link Fault#BOUNDED_ACQUIRE}) rather than an election. */
        boolean bounded;
        /** Let go of its attempt with nothing held: from then on it may write only releases. */
        boolean letGo;
        /** Nonces this incarnation wrote, and those whose outcome it learned (a success answer, or a state it claimed after them). */
        final Set<String> written = new HashSet<>();
        final Set<String> resolved = new HashSet<>();
        /** Nonces of the release records this incarnation wrote. */
        final Set<String> releases = new HashSet<>();
        /** Every record version a read answer showed this incarnation, with when it first did (its clock) and the record. */
        final Map<ObjectVersion, Seen> seen = new HashMap<>();
        /** The expiry instant (its clock) of the record its last takeover write replaced; -1 when none is pending. */
        long takeoverExpiry = -1;

        Node(int index, double rate, long wallOffsetMillis) {
            this.index = index;
            this.id = "n" + index;
            this.holder = id + ".0";
            this.rate = rate;
            this.wallOffsetMillis = wallOffsetMillis;
        }

        long local() {
            return (long) (now * rate);
        }

        long toTrue(long local) {
            return (long) Math.ceil(local / rate);
        }

        /** "n3.2": node 3, incarnation 2; built once per incarnation (it is asked for every sampled millisecond). */
        private String holder;
        /** The last label sampled for this node's valid lease ("n3.2@7"), and the epoch it names. */
        private String validLabel;
        private long validLabelEpoch = -1;

        String holder() {
            return holder;
        }

        String validLabel(long epoch) {
            if (epoch != validLabelEpoch || validLabel == null) {
                validLabel = holder + "@" + epoch;
                validLabelEpoch = epoch;
            }
            return validLabel;
        }

        boolean valid() {
            if (crashed || machine == null) {
                return false;
            }
            long local = local(); // asked for every node every virtual millisecond: one clock reading
            return machine.isValid(local) || (handleLive && local < handleUntil);
        }
    }

    private final List<ScheduledFault> schedule;

    /** Prepares a run whose faults come from the seed; {@link #run()} executes it. */
    public Simulation(SimulationConfig config) {
        this(config, null);
    }

    /**
     * Prepares a run whose node faults (partitions, pauses, crashes, handovers) follow
     * {@code schedule} exactly; network and store faults still come from the seed.
     */
    public Simulation(SimulationConfig config, List<ScheduledFault> schedule) {
        this.schedule = schedule == null ? null : List.copyOf(schedule);
        this.config = config;
        this.random = new SplittableRandom(config.seed());
        this.end = config.duration().toNanos();
        this.healAt = end * 6 / 10;
        this.ledger = config.ledger()
                ? new SimLedger(random.split(), config.faults(), config.mutation(), this::stall, config.seed())
                : null;
        for (int i = 0; i < config.nodes(); i++) {
            double rate = config.has(Fault.DRIFT) ? 1 + (random.nextDouble() * 2 - 1) * config.maxDrift() : 1.0;
            long wall = config.has(Fault.WALL_SKEW) ? random.nextLong(-120_000, 120_000) : 0;
            nodes.add(new Node(i, rate, wall));
        }
    }

    /** Runs to the end and returns what the checkers found. */
    public SimulationResult run() {
        for (Node n : nodes) {
            at(random.nextLong(0, 50 * MS), () -> start(n));
        }
        scheduleFaults();
        // A sample every millisecond. They used to be 60,000 events queued up front (the queue's
        // largest cost); now they are generated in step, in the same order: at one instant, after the
        // events queued before them (starts, faults) and before every later one. The sequence numbers
        // they took are skipped, so every other event keeps its number.
        long sampleEvery = MS;
        long samples = (end + sampleEvery - 1) / sampleEvery;
        long samplesFirstSeq = seq;
        seq += samples;
        long nextSample = 0;
        while (true) {
            Event e = queue.peek();
            if (nextSample < end && (e == null || nextSample < e.at() || (nextSample == e.at() && e.seq() >= samplesFirstSeq))) {
                now = nextSample;
                nextSample += sampleEvery;
                sample();
                continue;
            }
            if (e == null) {
                break;
            }
            queue.poll();
            if (e.at() > end) {
                break;
            }
            now = e.at();
            e.action().run();
        }
        // Answers still in flight when the run ends were never received: the store applied those
        // writes (a later read may have seen them), but their outcome is unknown to the client. Leaving
        // them out of the history made such a read unexplainable (seed 106: a renewal applied at
        // 29.99 s, its answer due after 30 s, read back by a contender before 30 s).
        for (LinearizabilityChecker.Op op : inFlight) {
            if (unknown(op) != null) {
                recorder.ops.add(unknown(op));
            }
        }
        inFlight.clear();
        SimulationResult result = Checkers.check(config, recorder, healAt, end);
        // Fenced writes of a user's object: their own store and random stream, so the history above is unchanged.
        List<SimulationResult.Violation> fenced = new SimFencedWrites(config.seed(),
                config.mutation().orElse(null) == Mutation.FENCED_CLOSED_MEANS_NOT_WRITTEN).run();
        if (ledger == null && fenced.isEmpty()) {
            return result;
        }
        List<SimulationResult.Violation> all = new ArrayList<>(result.violations());
        all.addAll(fenced);
        if (ledger == null) {
            return new SimulationResult(result.seed(), all, result.epochs(), result.acquisitions(), result.renewals(), result.requests(),
                    result.renewRequests(), result.failoverMillis(), result.crashFailoverBeyondMillis(), result.takeoverAfterExpiryMillis(),
                    result.linearizedOperations(), result.historyHash(), result.log(), result.segments(), result.faults(), 0);
        }
        all.addAll(ledger.check());
        recorder.log(end, "ledger", ledger.acknowledged() + " appends acknowledged");
        return new SimulationResult(result.seed(), all, result.epochs(), result.acquisitions(), result.renewals(), result.requests(),
                result.renewRequests(), result.failoverMillis(), result.crashFailoverBeyondMillis(), result.takeoverAfterExpiryMillis(),
                result.linearizedOperations(), result.historyHash(), result.log(),
                result.segments(), result.faults(), ledger.acknowledged());
    }

    /** The ledger followers' figures after {@link #run()}, or empty without the ledger (for tests and reports). */
    String followersSummary() {
        return ledger == null ? "" : ledger.followersSummary();
    }

    // ---- nodes ---------------------------------------------------------------------------------

    private void start(Node n) {
        n.incarnation++;
        n.holder = n.id + "." + n.incarnation;
        n.validLabel = null;
        n.crashed = false;
        n.handleLive = false;
        n.firstRequestSent = false;
        n.bounded = false;
        n.letGo = false;
        n.written.clear();
        n.resolved.clear();
        n.releases.clear();
        n.seen.clear();
        n.takeoverExpiry = -1;
        LeaseConfig lc = new LeaseConfig("leases/", n.holder(), config.ttl(), config.ttl().dividedBy(4), config.ttl().dividedBy(5),
                config.ttl().dividedBy(10), config.ttl().dividedBy(4), RetryPolicy.tests(), clockOf(n));
        n.machine = new LeaseMachine(lc, NAME, new SplittableRandom(config.seed() * 1_000_003L + n.index * 7919L + n.incarnation),
                config.mutation().flatMap(Mutation::protocol).map(Set::of).orElse(Set.<ProtocolMutation>of()));
        storeKey = n.machine.key();
        recorder.log(now, n.holder(), "start");
        handle(n, n.incarnation, n.machine.acquire(n.local(), LeaseMachine.Mode.FOREVER, Long.MAX_VALUE));
    }

    private LeaseClock clockOf(Node n) {
        return new LeaseClock() {
            @Override
            public long nanoTime() {
                return n.local();
            }

            @Override
            public long wallMillis() {
                return 1_800_000_000_000L + now / MS + n.wallOffsetMillis;
            }
        };
    }

    /** Carries out a node's commands with the production dispatcher (the same as LeaseDriver's). */
    private void handle(Node n, int incarnation, List<LeaseMachine.Command> commands) {
        if (n.crashed || n.incarnation != incarnation) {
            return;
        }
        CommandDispatcher.Target target = new CommandDispatcher.Target() {
            @Override
            public void read(LeaseMachine.Read read) {
                send(n, incarnation, read);
            }

            @Override
            public void write(LeaseMachine.Write write) {
                checkExpiry(n, write);
                if (new String(write.bytes(), StandardCharsets.UTF_8).contains("\"released\":true")) {
                    n.releases.add(nonceOf(write.bytes()));
                    // A release is written only for a record the machine knows is its own: it resolved
                    // every earlier write (a read-back may have claimed one silently).
                    n.resolved.addAll(n.written);
                } else if (n.letGo) {
                    recorder.guess(now, n.holder() + " wrote an acquisition or renewal after it let go of its attempt");
                } else if (n.bounded && n.machine.token().isEmpty() && random.nextBoolean()) {
                    // The caller is interrupted (or the manager closes) while the attempt's write is on its way.
                    letGoSoon(n, incarnation, random.nextLong(0, 10 * MS));
                }
                send(n, incarnation, write);
            }

            @Override
            public void delete(LeaseMachine.Delete delete) {
                send(n, incarnation, delete);
            }

            @Override
            public void timer(LeaseMachine.SetTimer t) {
                at(Math.max(now, n.toTrue(t.atNanos())), () -> fire(n, incarnation, t));
            }

            @Override
            public void notify(LeaseMachine.Event event) {
                observe(n, incarnation, event);
            }
        };
        if (config.mutation().orElse(null) == Mutation.CLOSE_WITHOUT_INVALIDATE) {
            target = withoutInvalidation(target);
        }
        CommandDispatcher.dispatch(commands, target);
    }

    /** The mutation of a driver that releases without first invalidating its handles: Releasing never reaches them. */
    private static CommandDispatcher.Target withoutInvalidation(CommandDispatcher.Target inner) {
        return new CommandDispatcher.Target() {
            @Override
            public void read(LeaseMachine.Read read) {
                inner.read(read);
            }

            @Override
            public void write(LeaseMachine.Write write) {
                inner.write(write);
            }

            @Override
            public void delete(LeaseMachine.Delete delete) {
                inner.delete(delete);
            }

            @Override
            public void timer(LeaseMachine.SetTimer timer) {
                inner.timer(timer);
            }

            @Override
            public void notify(LeaseMachine.Event event) {
                if (!(event instanceof LeaseMachine.Releasing)) {
                    inner.notify(event);
                }
            }
        };
    }

    /** A notification: the record, the workers' handle, the guess check, the ledger, and an operator restarting a stopped node. */
    private void observe(Node n, int incarnation, LeaseMachine.Event event) {
        if (event instanceof LeaseMachine.RenewalFailed) {
            // For operators' logs, metrics and health only: no rule depends on it, and leaving it out
            // of the record keeps every recorded history (and HistoryDigestTest's pins) as they were.
            return;
        }
        recorder.event(now, n.holder(), event, n.toTrue(validUntilOf(event)));
        if (event instanceof LeaseMachine.Acquired a) {
            if (n.takeoverExpiry >= 0) {
                recorder.takeoverAfterExpiry.add((n.local() - n.takeoverExpiry) / MS);
                n.takeoverExpiry = -1;
            }
            n.handleLive = true;
            n.handleUntil = a.validUntilNanos();
            n.resolved.addAll(n.written);
        } else if (event instanceof LeaseMachine.Renewed r) {
            n.handleUntil = r.validUntilNanos();
            n.resolved.addAll(n.written);
        } else if (event instanceof LeaseMachine.Released) {
            n.handleLive = false;
            n.resolved.addAll(n.written);
        } else if (event instanceof LeaseMachine.Revoked || event instanceof LeaseMachine.Releasing) {
            n.handleLive = false;
        }
        checkNoGuess(n, event);
        if (n.bounded && event instanceof LeaseMachine.Acquired && n.letGo) {
            recorder.guess(now, n.holder() + " was handed a lease after it let go of the attempt");
        }
        if (n.bounded && !n.letGo && (event instanceof LeaseMachine.NotAcquired || event instanceof LeaseMachine.Revoked)) {
            // The caller of a bounded attempt tries again a while later (the lease must still be contended for).
            at(now + random.nextLong(MS, config.ttl().toNanos()), () -> contendAgain(n, incarnation));
        }
        if (ledger != null && event instanceof LeaseMachine.Acquired a) {
            ledger.elected(n.holder(), a.token());
        } else if (ledger != null && (event instanceof LeaseMachine.Revoked || event instanceof LeaseMachine.Released)) {
            ledger.deposed(n.holder());
        }
        if (event instanceof LeaseMachine.NotAcquired na && na.error().orElse(null) instanceof LeaseRecordException) {
            // The election stopped on a corrupt record, as it must: an operator repairs the record and restarts the node.
            long restartAt = Math.max(now, outsiderRepairAt) + random.nextLong(config.ttl().toNanos() / 10, config.ttl().toNanos());
            at(restartAt, () -> {
                if (n.incarnation == incarnation && !n.crashed) {
                    n.crashed = true;
                    start(n);
                }
            });
        }
    }

    /**
     * Never won or lost on a guess: a node must not report its lease lost to another holder, nor see
     * "another holder" in a record, while the record it looked at is its own write whose outcome it
     * had not learned. Checked against the record in the read being answered (or the store's).
     */
    private void checkNoGuess(Node n, LeaseMachine.Event event) {
        String seen = answeredNonce != null ? answeredNonce : store.read(storeKey).map(v -> nonceOf(v.value())).orElse("");
        if (event instanceof LeaseMachine.Revoked r && r.reason() == RevocationReason.LOST_TO_ANOTHER_HOLDER && n.written.contains(seen)) {
            recorder.guess(now, n.holder() + " reported its lease lost to another holder while the record was its own write (nonce "
                    + seen + ")");
        } else if (event instanceof LeaseMachine.NotAcquired na && n.bounded && !n.letGo
                && !(na.error().orElse(null) instanceof dev.tenure.lease.LeaseOutcomeUnknownException)
                && !(na.error().orElse(null) instanceof LeaseRecordException)
                && n.written.contains(seen) && !n.resolved.contains(seen) && !n.releases.contains(seen)) {
            recorder.guess(now, n.holder() + " answered an attempt " + na + " while the record was its own unresolved write (nonce "
                    + seen + "): the outcome is unknown");
        } else if (event instanceof LeaseMachine.HolderSeen h && !h.released() && h.holder().equals(n.holder())
                && n.written.contains(seen) && !n.resolved.contains(seen)) {
            recorder.guess(now, n.holder() + " took its own unresolved write (nonce " + seen + ") for another holder's record");
        }
    }

    /**
     * Never before expiry: a node may take over another holder's record (not released) only once it
     * has been shown that very version for the record's TTL plus the skew margin, on its own clock.
     * Judged from the read answers the simulator delivered, never from the machine's own state; a
     * late answer the machine ignored only makes the check more lenient, never wrong.
     */
    private void checkExpiry(Node n, LeaseMachine.Write write) {
        if (!(write.condition() instanceof ConditionalPut.IfVersion iv)) {
            return;
        }
        Seen s = n.seen.get(iv.version());
        if (s == null) {
            return; // its own write: a renewal or a release
        }
        String json = new String(s.record(), StandardCharsets.UTF_8);
        if (json.contains("\"released\":true") || epochOf(write.bytes()) <= epochOf(s.record())) {
            n.takeoverExpiry = -1;
            return; // a released record is taken at once; the same epoch is a renewal or release of its own record
        }
        long ttl = Math.min(longOf(TTL, json), MAX_RECORD_TTL_MILLIS) * MS;
        long expiry = s.firstSeenLocal() + ttl + config.ttl().toNanos() / 10;
        n.takeoverExpiry = expiry;
        if (n.local() < expiry) {
            recorder.early(now, n.holder() + " took over the record of epoch " + epochOf(s.record()) + " " + (expiry - n.local()) / 1000
                    + " us before it expired on its clock (first seen at " + s.firstSeenLocal() / MS + " ms, ttl " + ttl / MS
                    + " ms + skew margin " + config.ttl().toMillis() / 10 + " ms)");
        }
    }

    private static long validUntilOf(LeaseMachine.Event e) {
        if (e instanceof LeaseMachine.Acquired a) {
            return a.validUntilNanos();
        }
        if (e instanceof LeaseMachine.Renewed r) {
            return r.validUntilNanos();
        }
        return 0;
    }

    private void fire(Node n, int incarnation, LeaseMachine.SetTimer t) {
        if (n.crashed || n.incarnation != incarnation) {
            return;
        }
        if (n.pausedUntil > now) {
            at(n.pausedUntil, () -> fire(n, incarnation, t));
            return;
        }
        handle(n, incarnation, n.machine.onTimer(t.timer(), t.token(), n.local()));
    }

    // ---- network and store ---------------------------------------------------------------------

    private long latency() {
        if (config.has(Fault.LATENCY) && now < healAt && random.nextInt(20) == 0) {
            return random.nextLong(50, 400) * MS;
        }
        return random.nextLong(1, 8) * MS;
    }

    private boolean faulty(Fault f, int oneIn) {
        return config.has(f) && now < healAt && random.nextInt(oneIn) == 0;
    }

    private void send(Node n, int incarnation, LeaseMachine.Command request) {
        if (config.has(Fault.SLOW_START) && !n.firstRequestSent) {
            // A cold JVM: the first request of this incarnation leaves late (classes loading, JSON warming up).
            n.firstRequestSent = true;
            long delay = random.nextLong(0, config.ttl().toNanos());
            recorder.log(now, n.holder(), "first request leaves " + delay / MS + " ms late (cold start)");
            at(now + delay, () -> {
                if (!n.crashed && n.incarnation == incarnation) {
                    transmit(n, incarnation, request);
                }
            });
            return;
        }
        n.firstRequestSent = true;
        transmit(n, incarnation, request);
    }

    /** The request leaves now: the machine is told (its send time), then the network takes it. */
    private void transmit(Node n, int incarnation, LeaseMachine.Command request) {
        if (request instanceof LeaseMachine.Write w) {
            n.written.add(nonceOf(w.bytes()));
        }
        handle(n, incarnation, n.machine.onSent(requestIdOf(request), n.local()));
        long sentAt = now;
        recorder.requests++;
        if (n.partitionedUntil > now || faulty(Fault.DROP, 40)) {
            recorder.log(now, n.holder(), "request lost " + describe(request));
            return;
        }
        long delay = latency();
        if (request instanceof LeaseMachine.Write && faulty(Fault.LATE_WRITES, 12)) {
            // Reaches the store just after the sender's request timeout (ttl / 4): it lands after the sender gave up on it.
            delay = config.ttl().toNanos() / 4 + random.nextLong(1, 60) * MS;
            recorder.log(now, n.holder(), "write reaches the store late, in " + delay / MS + " ms");
        }
        at(now + delay, () -> arrive(n, incarnation, request, sentAt));
    }

    private static long requestIdOf(LeaseMachine.Command request) {
        if (request instanceof LeaseMachine.Read r) {
            return r.requestId();
        }
        if (request instanceof LeaseMachine.Write w) {
            return w.requestId();
        }
        return ((LeaseMachine.Delete) request).requestId();
    }

    private void arrive(Node n, int incarnation, LeaseMachine.Command request, long sentAt) {
        if (now < storeRejectsUntil) {
            BackendException full = BackendException.internal(storeKey, "507 Insufficient Storage: no space left on device", null);
            recorder.log(now, n.holder(), "store refused " + describe(request) + ": " + full.getMessage());
            respond(n, incarnation, request, null, null, full, null);
            return;
        }
        if (request instanceof LeaseMachine.Write w && faulty(Fault.CONDITIONAL_ERRORS, 25)) {
            // Not applied. 404 to a create reads as a configuration error (the route is missing); 404 to an
            // If-Match and 409 read as "precondition failed", which the protocol re-reads before deciding.
            boolean create = w.condition() instanceof ConditionalPut.IfAbsent;
            BackendException refused = random.nextBoolean()
                    ? BackendException.preconditionFailed(storeKey, "409 ConditionalRequestConflict")
                    : create ? BackendException.config(storeKey, "404 on a create-if-absent: the route does not exist", null)
                    : BackendException.preconditionFailed(storeKey, "404: the object does not exist");
            recorder.log(now, n.holder(), "store refused " + describe(request) + ": " + refused.getMessage());
            respond(n, incarnation, request, null, null, refused, null);
            return;
        }
        if (faulty(Fault.ERRORS, 30)) {
            int which = random.nextInt(3);
            BackendException error = which == 0
                    ? BackendException.preconditionFailed(storeKey, "409 ConditionalRequestConflict")
                    : which == 1 ? BackendException.transport(storeKey, request instanceof LeaseMachine.Read ? false : true, "500 InternalError (not applied)", null)
                    : BackendException.transport(storeKey, false, "503 SlowDown", null);
            if (which == 0 && request instanceof LeaseMachine.Read) {
                error = BackendException.transport(storeKey, false, "503 SlowDown", null);
            }
            BackendException answer = error;
            recorder.log(now, n.holder(), "store refused " + describe(request) + ": " + answer.getMessage());
            respond(n, incarnation, request, null, null, answer, null);
            return;
        }
        Optional<Versioned<byte[]>> found = Optional.empty();
        ObjectVersion written = null;
        BackendException failure = null;
        LinearizabilityChecker.Op op = null;
        if (request instanceof LeaseMachine.Read) {
            found = store.read(storeKey);
            op = new LinearizabilityChecker.Op(sentAt, 0, LinearizabilityChecker.Kind.READ,
                    found.map(v -> nonceOf(v.value())).orElse(null), null, LinearizabilityChecker.Outcome.OK);
        } else if (request instanceof LeaseMachine.Write w) {
            boolean ifAbsent = w.condition() instanceof ConditionalPut.IfAbsent;
            String expected = w.condition() instanceof ConditionalPut.IfVersion iv ? recorder.nonceOfVersion.get(iv.version()) : null;
            LinearizabilityChecker.Kind kind = ifAbsent ? LinearizabilityChecker.Kind.PUT_IF_ABSENT : LinearizabilityChecker.Kind.PUT_IF_VERSION;
            try {
                if (config.mutation().orElse(null) == Mutation.ACK_BEFORE_DURABLE && random.nextInt(3) == 0) {
                    // The bug: acknowledge at once and apply later, unconditionally.
                    written = new ObjectVersion("undurable-" + seq);
                    byte[] bytes = w.bytes();
                    undurable.add(bytes);
                    at(now + random.nextLong(20, 300) * MS, () -> flush(bytes));
                } else {
                    written = store.put(storeKey, w.bytes(), w.condition());
                    recorder.applied(now, epochOf(w.bytes()));
                }
                recorder.nonceOfVersion.put(written, nonceOf(w.bytes()));
                op = new LinearizabilityChecker.Op(sentAt, 0, kind, expected, nonceOf(w.bytes()), LinearizabilityChecker.Outcome.OK);
            } catch (BackendException e) {
                failure = e;
                op = new LinearizabilityChecker.Op(sentAt, 0, kind, expected, nonceOf(w.bytes()), LinearizabilityChecker.Outcome.CONDITION_FAILED);
            }
        } else if (request instanceof LeaseMachine.Delete) {
            store.delete(storeKey);
            recorder.applied(now, 0);
            written = new ObjectVersion("deleted-" + seq);
            op = new LinearizabilityChecker.Op(sentAt, 0, LinearizabilityChecker.Kind.DELETE, null, null, LinearizabilityChecker.Outcome.OK);
        }
        if (request instanceof LeaseMachine.Read == false && faulty(Fault.AMBIGUOUS, 15)) {
            // Applied, but the answer is lost (or comes back as an ambiguous error).
            recorder.ops.add(new LinearizabilityChecker.Op(op.invoked(), Long.MAX_VALUE, op.kind(), op.expected(), op.writes(),
                    failure == null ? LinearizabilityChecker.Outcome.UNKNOWN : op.outcome()));
            if (random.nextBoolean()) {
                recorder.log(now, n.holder(), "answer lost after " + describe(request) + (failure == null ? " applied" : " refused"));
                return;
            }
            BackendException ambiguous = BackendException.transport(storeKey, true, "connection reset after sending", null);
            respond(n, incarnation, request, null, null, ambiguous, null);
            return;
        }
        respond(n, incarnation, request, found, written, failure, op);
    }

    /** Sends the store's answer back; {@code op} is recorded for the linearizability check once the answer lands (or is lost). */
    private void respond(Node n, int incarnation, LeaseMachine.Command request, Optional<Versioned<byte[]>> found,
            ObjectVersion written, BackendException failure, LinearizabilityChecker.Op op) {
        long arrival = now + latency();
        if (n.partitionedUntil > now) {
            if (op != null && unknown(op) != null) {
                recorder.ops.add(unknown(op));
            }
            return;
        }
        if (op != null) {
            inFlight.add(op);
        }
        at(arrival, () -> deliver(n, incarnation, request, found, written, failure, op));
    }

    private static LinearizabilityChecker.Op unknown(LinearizabilityChecker.Op op) {
        if (op.kind() == LinearizabilityChecker.Kind.READ) {
            return null;
        }
        return new LinearizabilityChecker.Op(op.invoked(), Long.MAX_VALUE, op.kind(), op.expected(), op.writes(),
                op.outcome() == LinearizabilityChecker.Outcome.OK ? LinearizabilityChecker.Outcome.UNKNOWN : op.outcome());
    }

    private void deliver(Node n, int incarnation, LeaseMachine.Command request, Optional<Versioned<byte[]>> found,
            ObjectVersion written, BackendException failure, LinearizabilityChecker.Op op) {
        if (n.crashed || n.incarnation != incarnation) {
            inFlight.remove(op);
            if (op != null && unknown(op) != null) {
                recorder.ops.add(unknown(op));
            }
            return;
        }
        if (n.pausedUntil > now) {
            at(n.pausedUntil, () -> deliver(n, incarnation, request, found, written, failure, op));
            return;
        }
        if (op != null) {
            inFlight.remove(op);
            recorder.ops.add(new LinearizabilityChecker.Op(op.invoked(), now, op.kind(), op.expected(), op.writes(), op.outcome()));
        }
        if (request instanceof LeaseMachine.Read r) {
            Optional<Versioned<byte[]>> answer = found == null ? Optional.empty() : found;
            if (failure == null && answer.isPresent()) {
                n.seen.putIfAbsent(answer.get().version(), new Seen(n.local(), answer.get().value()));
            }
            answeredNonce = failure != null ? null : answer.map(v -> nonceOf(v.value())).orElse("");
            try {
                handle(n, incarnation, n.machine.onRead(r.requestId(), n.local(), answer, failure));
            } finally {
                answeredNonce = null;
            }
        } else if (request instanceof LeaseMachine.Write w) {
            if (failure == null && written != null) {
                n.resolved.add(nonceOf(w.bytes()));
            }
            handle(n, incarnation, n.machine.onWrite(w.requestId(), n.local(), written, failure));
        } else if (request instanceof LeaseMachine.Delete d) {
            handle(n, incarnation, n.machine.onWrite(d.requestId(), n.local(), written, failure));
        }
    }

    private void flush(byte[] bytes) {
        if (undurable.remove(bytes)) {
            store.delete(storeKey);
            store.put(storeKey, bytes, ConditionalPut.ifAbsent());
            recorder.applied(now, epochOf(bytes));
        }
    }

    // ---- faults --------------------------------------------------------------------------------

    private void scheduleFaults() {
        if (schedule != null) {
            for (ScheduledFault f : schedule) {
                long when = Math.min(f.atMillis() * MS, healAt);
                long length = Math.min(f.lengthMillis() * MS, Math.max(0, healAt - when));
                at(when, () -> inject(f.fault(), f.leader(), Math.floorMod(f.node(), nodes.size()), length));
            }
            return;
        }
        long ttl = config.ttl().toNanos();
        if (config.has(Fault.STORE_REJECTS)) {
            long from = random.nextLong(ttl, Math.max(ttl + 1, healAt - 4 * ttl));
            long length = random.nextLong(ttl / 2, 2 * ttl);
            at(from, () -> {
                storeRejectsUntil = now + length;
                recorder.fault(now, "store", Fault.STORE_REJECTS, length, false);
            });
        }
        if (config.has(Fault.FOREIGN_RECORD)) {
            long from = random.nextLong(ttl, Math.max(ttl + 1, healAt * 4 / 10));
            long length = random.nextLong(ttl, 2 * ttl);
            at(from, () -> outsiderPoll(healAt * 6 / 10, length, null, 0));
        }
        for (long t = ttl; t < healAt; t += random.nextLong(ttl / 2, 3 * ttl)) {
            long when = t;
            List<Fault> candidates = new ArrayList<>();
            for (Fault f : EnumSet.of(Fault.PARTITION, Fault.PAUSE, Fault.CRASH, Fault.HANDOVER, Fault.CLOSE, Fault.STEP_DOWN)) {
                if (config.has(f)) {
                    candidates.add(f);
                }
            }
            if (config.mutation().orElse(null) == Mutation.DELETE_ON_RELEASE && !candidates.contains(Fault.HANDOVER)) {
                candidates.add(Fault.HANDOVER);
            }
            if (config.mutation().orElse(null) == Mutation.STEP_DOWN_KEEPS_LEADING && !candidates.contains(Fault.STEP_DOWN)) {
                candidates.add(Fault.STEP_DOWN);
            }
            if (candidates.isEmpty()) {
                break;
            }
            Fault f = candidates.get(random.nextInt(candidates.size()));
            boolean hitLeader = random.nextInt(3) != 0;
            int pick = random.nextInt(nodes.size());
            long length = random.nextLong(ttl / 2, 3 * ttl);
            at(when, () -> inject(f, hitLeader, pick, Math.min(length, healAt - now)));
        }
    }

    private void inject(Fault f, boolean hitLeader, int pick, long length) {
        Node target = nodes.get(pick);
        if (hitLeader) {
            for (Node n : nodes) {
                if (n.valid()) {
                    target = n;
                }
            }
        }
        Node n = target;
        boolean wasLeader = n.valid();
        switch (f) {
            case PARTITION -> {
                n.partitionedUntil = now + length;
                if (ledger != null) {
                    ledger.partitioned(n.holder(), now + length);
                }
            }
            case PAUSE -> {
                n.pausedUntil = now + length;
                if (ledger != null) {
                    ledger.paused(n.holder(), now + length);
                }
            }
            case CRASH -> {
                if (n.crashed) {
                    return;
                }
                n.crashed = true;
                if (ledger != null) {
                    ledger.deposed(n.holder());
                }
                at(now + length, () -> start(n));
            }
            case HANDOVER -> {
                if (!n.valid()) {
                    return;
                }
                handle(n, n.incarnation, n.machine.release(n.local()));
                int inc = n.incarnation;
                at(now + length / 2, () -> contendAgain(n, inc));
            }
            case STEP_DOWN -> {
                // The leader steps down but stays in the election: the machine releases, holds off, and contends again.
                if (!n.valid()) {
                    return;
                }
                long holdOff = random.nextLong(0, config.ttl().toNanos());
                handle(n, n.incarnation, n.machine.stepDown(n.local(), holdOff));
            }
            case CLOSE -> {
                // The manager closes while the node's workers keep checking validity; the process exits
                // once the release has ended (a request timeout at most) and starts again later.
                if (!n.valid()) {
                    return;
                }
                handle(n, n.incarnation, n.machine.release(n.local()));
                int inc = n.incarnation;
                at(now + config.ttl().toNanos() / 2, () -> {
                    if (n.incarnation == inc && !n.crashed) {
                        n.crashed = true;
                        if (ledger != null) {
                            ledger.deposed(n.holder());
                        }
                    }
                });
                at(now + Math.max(length, config.ttl().toNanos()), () -> {
                    if (n.incarnation == inc) {
                        start(n);
                    }
                });
            }
            default -> {
                return;
            }
        }
        recorder.fault(now, n.holder(), f, length, wasLeader);
    }

    /** The ledger aims a pause at its writer's worst moment: the writer's whole node stalls, lease machine included. */
    private void stall(String holder, long until) {
        if (!config.has(Fault.PAUSE) || now >= healAt) {
            return;
        }
        for (Node n : nodes) {
            if (n.holder().equals(holder) && !n.crashed) {
                recorder.fault(now, n.holder(), Fault.PAUSE, until - now, n.valid());
                n.pausedUntil = Math.max(n.pausedUntil, until);
                ledger.paused(holder, until);
            }
        }
    }

    /**
     * The second half of a handover: the node contends again. While its own release is still in
     * flight the machine itself waits for it to end (one lease lifetime at a time), so nothing here
     * decides anything.
     */
    private void contendAgain(Node n, int inc) {
        if (n.crashed || n.incarnation != inc) {
            return;
        }
        if (!config.has(Fault.BOUNDED_ACQUIRE) || (!n.bounded && random.nextBoolean())) {
            handle(n, inc, n.machine.acquire(n.local(), LeaseMachine.Mode.FOREVER, Long.MAX_VALUE));
            return;
        }
        // A caller with a deadline: tryAcquire (one TTL) or acquire(timeout); now and then it gives up early.
        n.bounded = true;
        n.letGo = false;
        long ttl = config.ttl().toNanos();
        boolean once = random.nextBoolean();
        long deadline = n.local() + random.nextLong(ttl / 4, 3 * ttl);
        handle(n, inc, n.machine.acquire(n.local(), once ? LeaseMachine.Mode.ONCE : LeaseMachine.Mode.UNTIL_DEADLINE, deadline));
        if (random.nextInt(4) == 0) {
            letGoSoon(n, inc, random.nextLong(MS, ttl / 2));
        }
    }

    /** The caller of a bounded attempt gives up on it after {@code delay} (interrupted, or its manager closes). */
    private void letGoSoon(Node n, int inc, long delay) {
        long ttl = config.ttl().toNanos();
        at(now + delay, () -> {
            if (n.crashed || n.incarnation != inc || n.letGo || n.valid() || n.machine.token().isPresent()) {
                return; // it holds a lease: letting go of that is a release (HANDOVER), not this
            }
            n.letGo = true;
            recorder.log(now, n.holder(), "lets go of its attempt (caller interrupted)");
            handle(n, inc, n.machine.release(n.local()));
            at(now + random.nextLong(ttl / 2, 2 * ttl), () -> contendAgain(n, inc));
        });
    }

    // ---- the outside writer (FOREIGN_RECORD) -----------------------------------------------------

    /**
     * Polls the record every 20 ms like a contender that keeps the rules (a released record at once,
     * a stale one after its TTL + 5% + the skew margin), and takes it once with a record whose TTL is
     * beyond the bounds (9.3e12 ms and more: the nanoseconds overflow). It holds it for
     * {@code length}, then repairs it: writes it released, with a TTL within bounds.
     */
    private void outsiderPoll(long stopAt, long length, ObjectVersion seenVersion, long seenSince) {
        if (now > stopAt) {
            return;
        }
        Optional<Versioned<byte[]>> found = store.read(storeKey == null ? "leases/" + NAME : storeKey);
        recorder.ops.add(new LinearizabilityChecker.Op(now, now + 1, LinearizabilityChecker.Kind.READ,
                found.map(v -> nonceOf(v.value())).orElse(null), null, LinearizabilityChecker.Outcome.OK));
        if (found.isEmpty()) {
            at(now + 20 * MS, () -> outsiderPoll(stopAt, length, null, 0));
            return;
        }
        String json = new String(found.get().value(), StandardCharsets.UTF_8);
        ObjectVersion version = found.get().version();
        long since = version.equals(seenVersion) ? seenSince : now;
        long recordTtl = Math.min(longOf(TTL, json), 3_600_000L) * MS;
        boolean released = json.contains("\"released\":true");
        if (!released && now - since < recordTtl + recordTtl / 20 + config.ttl().toNanos() / 10) {
            at(now + 20 * MS, () -> outsiderPoll(stopAt, length, version, since));
            return;
        }
        long epoch = epochOf(found.get().value()) + 1;
        String nonce = String.format("%016x", random.nextLong()) + "0f";
        long ttlMillis = random.nextLong(9_300_000_000_000L, 18_000_000_000_000L);
        byte[] bytes = record("outsider", epoch, longOf(REVISION, json) + 1, nonce, ttlMillis, false);
        ObjectVersion written = store.put(storeKey, bytes, ConditionalPut.ifVersion(version));
        recorder.nonceOfVersion.put(written, nonce);
        recorder.applied(now, epoch);
        recorder.ops.add(new LinearizabilityChecker.Op(now, now + 1, LinearizabilityChecker.Kind.PUT_IF_VERSION, nonceOf(found.get().value()),
                nonce, LinearizabilityChecker.Outcome.OK));
        outsiderUntil = now + length;
        outsiderEpoch = epoch;
        outsiderNonce = nonce;
        outsiderRepairAt = now + length;
        recorder.fault(now, "outsider", Fault.FOREIGN_RECORD, length, false);
        recorder.log(now, "outsider", "took the lease at epoch " + epoch + " with ttlMillis " + ttlMillis);
        at(outsiderRepairAt, this::outsiderRepair);
    }

    private void outsiderRepair() {
        outsiderUntil = 0;
        Optional<Versioned<byte[]>> found = store.read(storeKey);
        if (found.isEmpty() || !outsiderNonce.equals(nonceOf(found.get().value()))) {
            recorder.log(now, "outsider", "its record was overwritten before it repaired it");
            return;
        }
        String json = new String(found.get().value(), StandardCharsets.UTF_8);
        String nonce = String.format("%016x", random.nextLong()) + "1f";
        byte[] bytes = record("outsider", outsiderEpoch, longOf(REVISION, json) + 1, nonce, config.ttl().toMillis(), true);
        ObjectVersion written = store.put(storeKey, bytes, ConditionalPut.ifVersion(found.get().version()));
        recorder.nonceOfVersion.put(written, nonce);
        recorder.applied(now, outsiderEpoch);
        recorder.ops.add(new LinearizabilityChecker.Op(now, now + 1, LinearizabilityChecker.Kind.PUT_IF_VERSION, outsiderNonce, nonce,
                LinearizabilityChecker.Outcome.OK));
        recorder.log(now, "outsider", "repaired the record: released, ttl within bounds");
    }

    private static byte[] record(String holder, long epoch, long revision, String nonce, long ttlMillis, boolean released) {
        return ("{\"format\":\"tenure.lease/1\",\"name\":\"" + NAME + "\",\"holder\":\"" + holder + "\",\"epoch\":" + epoch
                + ",\"revision\":" + revision + ",\"nonce\":\"" + nonce + "\",\"ttlMillis\":" + ttlMillis
                + ",\"writtenAtMillis\":0,\"released\":" + released + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static long longOf(Pattern p, String json) {
        Matcher m = p.matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    // ---- sampling ------------------------------------------------------------------------------

    private void sample() {
        if (ledger != null) {
            ledger.tick(now); // the ledger's own events (writes landing, answers, zombie appends) up to now
        }
        // One list for every sample: the recorder copies it only when the set of valid holders changes.
        List<String> valid = validScratch;
        valid.clear();
        for (Node n : nodes) {
            if (n.valid()) {
                long epoch = n.machine.tokenEpoch(); // token() without its Optional and token: -1 for none
                if (epoch < 0) {
                    throw new IllegalStateException(n.holder() + " is valid without a token");
                }
                valid.add(n.validLabel(epoch));
                // A leader acts only while valid: an epoch-guarded write to the data it protects.
                recorder.dataWrite(now, n.holder(), epoch);
                if (ledger != null && now % (10 * MS) == 0) {
                    ledger.append(n.holder(), epoch);
                }
            }
        }
        if (outsiderUntil > now) {
            valid.add("outsider@" + outsiderEpoch);
            recorder.dataWrite(now, "outsider", outsiderEpoch);
        }
        recorder.sample(now, valid);
        if (ledger != null && now % (1000 * MS) == 0) {
            if (now >= healAt) {
                ledger.heal();
            }
            ledger.read();
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private void at(long when, Runnable action) {
        queue.add(new Event(when, seq++, action));
    }

    /**
     * What {@link #NONCE} finds, without a regex (called for every write and answer): the first
     * {@code "nonce":"} followed by one or more lower-case hex digits and a closing quote.
     */
    static String nonceOf(byte[] record) {
        String s = new String(record, StandardCharsets.UTF_8);
        String tag = "\"nonce\":\"";
        for (int at = s.indexOf(tag); at >= 0; at = s.indexOf(tag, at + 1)) {
            int from = at + tag.length();
            int i = from;
            while (i < s.length() && (s.charAt(i) >= '0' && s.charAt(i) <= '9' || s.charAt(i) >= 'a' && s.charAt(i) <= 'f')) {
                i++;
            }
            if (i > from && i < s.length() && s.charAt(i) == '"') {
                return s.substring(from, i);
            }
        }
        return null;
    }

    private static long epochOf(byte[] record) {
        Matcher m = EPOCH.matcher(new String(record, StandardCharsets.UTF_8));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static String describe(LeaseMachine.Command c) {
        return c instanceof LeaseMachine.Read ? "read" : c instanceof LeaseMachine.Delete ? "delete" : "write";
    }

    /** The config this simulation runs. */
    public SimulationConfig config() {
        return config;
    }


}
