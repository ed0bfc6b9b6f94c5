package dev.tenure.sim;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.ElectionFailure;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.LeaderElection;
import dev.tenure.lease.LeaderListener;
import dev.tenure.lease.Lease;
import dev.tenure.lease.LeaseClock;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.LeaseScheduler;
import dev.tenure.lease.Revocation;
import dev.tenure.retry.RetryPolicy;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One deterministic run of the production lease stack above the protocol machine: on every node a
 * real {@link LeaseManager} (its driver, the batching of backend calls, the election) with a
 * {@link LeaderElection}, on the node's drifting clock. The protocol thread is the simulation's
 * own; the I/O pool's threads are real threads that run only on the simulation's turn
 * ({@link TurnThread}), so a backend call blocks its thread as in production while the simulation
 * decides when it returns, and the run is the same for the same seed.
 *
 * <p>Faults: long-tailed latency, requests and answers lost (the client waits for its own timeout),
 * store errors, calls that hang for seconds, partitions, pauses longer than the TTL, crashes,
 * clock drift, step-downs, and an I/O pool shut down under a live manager ({@code shutdownNow}:
 * the threads in a call are interrupted there). The scheduler hands each task given to
 * {@link LeaseScheduler#executeWithin} over at a random instant within its bound, in order with
 * the others, as the timer wheel may.
 *
 * <p>Checked: no two nodes' lease handles valid at one true instant (each node's workers keep
 * every handle the election showed them, and ask it); the tokens of valid handles never go back;
 * the store's history is linearizable; no backend call starts after its pool was shut down; and,
 * once faults stop, a leader again.
 */
public final class DriverSimulation {

    static final String MUTUAL_EXCLUSION = Checkers.MUTUAL_EXCLUSION;
    static final String FENCING = Checkers.FENCING;
    static final String LINEARIZABILITY = Checkers.LINEARIZABILITY;
    static final String LIVENESS = Checkers.LIVENESS;
    static final String CALL_AFTER_SHUTDOWN = "no-call-after-pool-shutdown";
    static final String STUCK = "driver-never-blocks";
    static final String CALL_WHEN_INTERRUPTED = "no-call-on-an-interrupted-thread";
    static final String CALLS_WAIT = "no-call-waits-beside-a-free-thread";
    static final String HELD_FOR_NOBODY = "no-lease-held-for-nobody";
    static final String BUSY = "protocol-thread-quiet-when-idle";
    /**
     * Wake-ups of a node's protocol thread in one second of virtual time while no backend call
     * waits for a runner (or once its I/O pool has shut down). The timers of three leases wake it a
     * few tens of times a second; a timer that re-arms itself every millisecond for nothing (a stall
     * check with no call to start) wakes it a thousand times.
     */
    static final int BUSY_LIMIT = 300;
    /**
     * The same once the node's I/O pool has shut down (nothing can run any more). This checker found
     * the driver waking every millisecond until the process exited: the runners still queued in the
     * pool when {@code shutdownNow} dropped them never gave their count back, so IoBatch never
     * dropped the calls left and the stall check found them waiting, forever.
     */
    static final String BUSY_AFTER_SHUTDOWN = "protocol-thread-quiet-after-pool-shutdown";
    /** Calls may wait this long while a pool thread is free: the driver's stall check (1 ms) plus a tick and drift. */
    private static final long WAIT_BOUND = 3_000_000L;

    /** Leases held through one manager per node: its calls share the batching, as many leases do in production. */
    static final int LEASES = 3;
    /** One more lease, taken by the application with the non-blocking acquire calls, held a while and released. */
    static final int JOB = LEASES;
    /** A lease the manager holds, renewed, that no caller was handed, for longer than this: held for nobody. */
    private static final long NOBODY_BOUND_TTLS = 3;
    private static final long MS = 1_000_000L;
    private static final VarHandle DRIVER;
    private static final VarHandle BATCH;
    private static final VarHandle STOP_WHEN_INTERRUPTED;
    private static final VarHandle INVALIDATE_BEFORE_RELEASE;
    private static final VarHandle CHECK_STALLS;
    private static final VarHandle LET_GO_ON_CANCEL;
    private static final VarHandle DROP_WHEN_SHUT_DOWN;
    private static final VarHandle SLOTS;
    private static final VarHandle SLOT_LEASE;
    private static final VarHandle QUEUE;
    private static final VarHandle STALL_CHECK_ONLY_WHILE_WAITING;
    private static final VarHandle LEADER_CHECKS_LEASE;

    static {
        try {
            MethodHandles.Lookup lease = MethodHandles.privateLookupIn(LeaseManager.class, MethodHandles.lookup());
            Class<?> driver = Class.forName("dev.tenure.lease.LeaseDriver");
            Class<?> batch = Class.forName("dev.tenure.lease.IoBatch");
            MethodHandles.Lookup inDriver = MethodHandles.privateLookupIn(driver, MethodHandles.lookup());
            DRIVER = lease.findVarHandle(LeaseManager.class, "driver", driver);
            BATCH = inDriver.findVarHandle(driver, "batch", batch);
            DROP_WHEN_SHUT_DOWN = MethodHandles.privateLookupIn(batch, MethodHandles.lookup())
                    .findVarHandle(batch, "dropWhenShutDown", boolean.class);
            STOP_WHEN_INTERRUPTED = MethodHandles.privateLookupIn(batch, MethodHandles.lookup())
                    .findVarHandle(batch, "stopWhenInterrupted", boolean.class);
            INVALIDATE_BEFORE_RELEASE = inDriver.findVarHandle(driver, "invalidateBeforeRelease", boolean.class);
            CHECK_STALLS = inDriver.findVarHandle(driver, "checkStalls", boolean.class);
            LET_GO_ON_CANCEL = lease.findVarHandle(LeaseManager.class, "letGoOnCancel", boolean.class);
            SLOTS = inDriver.findVarHandle(driver, "slots", Map.class);
            Class<?> slot = Class.forName("dev.tenure.lease.LeaseDriver$Slot");
            SLOT_LEASE = MethodHandles.privateLookupIn(slot, MethodHandles.lookup()).findVarHandle(slot, "lease", Lease.class);
            QUEUE = MethodHandles.privateLookupIn(batch, MethodHandles.lookup()).findVarHandle(batch, "queue", ConcurrentLinkedQueue.class);
            STALL_CHECK_ONLY_WHILE_WAITING = inDriver.findVarHandle(driver, "stallCheckOnlyWhileWaiting", boolean.class);
            LEADER_CHECKS_LEASE = MethodHandles.privateLookupIn(LeaderElection.class, MethodHandles.lookup())
                    .findVarHandle(LeaderElection.class, "leaderChecksLease", boolean.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("the lease driver's switches cannot be reached: " + e, e);
        }
    }

    /** A run's figures and what the checkers found. */
    public record Result(long seed, List<SimulationResult.Violation> violations, int epochs, long elections, long calls,
            long hungCalls, long poolShutdowns, long crashes, long stepDowns, long jobsTaken, long jobsCancelled,
            long linearizedOperations, long historyHash, List<String> log, int busiestSecond) {

        /** True when every checker passed. */
        public boolean passed() {
            return violations.isEmpty();
        }
    }

    private record Event(long at, long seq, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    /** A backend call in flight: what the blocked thread gets back when the simulation turns it. */
    final class Call {
        final Node node;
        final int incarnation;
        final SimIoPool.Worker worker;
        final String key;
        final long invoked = now;
        final boolean write;
        boolean done;
        Optional<Versioned<byte[]>> found = Optional.empty();
        ObjectVersion version;
        BackendException error;
        /** The client library gives up with the thread's interrupt flag set (it caught an interrupt and restored it). */
        boolean leavesInterrupted;
        /** The history entry once the store applied it, until the client learns the outcome. */
        LinearizabilityChecker.Op applied;

        Call(Node node, int incarnation, SimIoPool.Worker worker, String key, boolean write) {
            this.node = node;
            this.incarnation = incarnation;
            this.worker = worker;
            this.key = key;
            this.write = write;
        }

        /** The pool shut down while this call blocked: the client gives up on it, interrupted. */
        void interrupted() {
            answer(BackendException.transport(key, write, "interrupted (the I/O pool shut down)", null), true);
        }

        /** Hands the outcome to the blocked thread and lets it go on. */
        void answer(BackendException failure, boolean unknown) {
            if (done) {
                return;
            }
            done = true;
            if (failure != null) {
                error = failure;
            }
            if (applied != null) {
                history(key).add(unknown ? unknownOf(applied) : new LinearizabilityChecker.Op(applied.invoked(), now, applied.kind(),
                        applied.expected(), applied.writes(), applied.outcome()));
                applied = null;
            }
            // The blocked thread goes on when its process runs: never once it crashed, after a pause.
            onNode(node, incarnation, now, worker.thread::turn);
        }
    }

    /** A lease holder: its manager, election, clock and what the faults did to it. */
    final class Node {
        final int index;
        final String id;
        final double rate;
        int incarnation;
        boolean crashed = true;
        long pausedUntil;
        long partitionedUntil;
        LeaseManager manager;
        /** One election per lease name, all on the one manager. */
        final LeaderElection[] elections = new LeaderElection[LEASES];
        /** Since when the manager has held the job lease for nobody (-1: not now). */
        long nobodySince = -1;
        boolean nobodyReported;
        /** The driver's backend calls waiting for a runner, oldest first. */
        ConcurrentLinkedQueue<?> queued;
        /** The oldest waiting call when last sampled, and since when it has waited beside a free pool thread. */
        Object waitingCall;
        long waitingSince = -1;
        boolean waitReported;
        /** A store a few tens of microseconds away (a local one): one batch runner takes many calls. */
        boolean fast;
        SimIoPool pool;
        /** Every handle each election showed this incarnation's workers: each is asked at every sample. */
        final List<List<Lease>> handles = new ArrayList<>();
        /** Wake-ups of the protocol thread with no call waiting (or a stopped pool) since {@link #wakeWindowStart}. */
        int idleWakeups;
        /** Wake-ups of the protocol thread since its I/O pool shut down, in the same window. */
        int stoppedWakeups;
        long wakeWindowStart;

        Node(int index, double rate) {
            for (int i = 0; i <= JOB; i++) {
                handles.add(new ArrayList<>());
            }
            this.index = index;
            this.id = "n" + index;
            this.rate = rate;
        }

        long local() {
            return (long) (now * rate);
        }

        long toTrue(long local) {
            return (long) Math.ceil(local / rate);
        }

        String holder() {
            return id + "." + incarnation;
        }
    }

    private final long seed;
    private final Optional<DriverMutation> mutation;
    private final long ttl;
    private final long end;
    private final long healAt;
    private final SplittableRandom random;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final InMemoryBackend store = new InMemoryBackend("driver-sim");
    private final List<Node> nodes = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final List<SimulationResult.Violation> violations = new ArrayList<>();
    /** The store's history, one register per key. */
    private final Map<String, List<LinearizabilityChecker.Op>> ops = new HashMap<>();
    private final List<Call> inFlight = new ArrayList<>();
    /** The nonce of each record version the store wrote, by key and version. */
    private final Map<String, String> nonceOfVersion = new HashMap<>();
    private final TreeSet<String> epochs = new TreeSet<>();
    private long now;
    private long seq;
    private final long[] maxValidEpoch = new long[JOB + 1];
    private final long[] firstValidAfterHeal = {-1, -1, -1, -1};
    private long jobsTaken;
    private long jobsCancelled;
    /**
     * After the faults stop, the last sample with a leader of each lease, and the longest stretch
     * without one: a lease held over from before the heal must not stand in for elections that no
     * longer work.
     */
    private final long[] lastValidAfterHeal = new long[JOB + 1];
    private final long[] longestGapAfterHeal = new long[JOB + 1];
    private int overlapsReported;
    private int fencingReported;
    private int busyReported;
    private int busiestSecond;
    private long elections;
    private long calls;
    private long hungCalls;
    private long poolShutdowns;
    private long crashes;
    private long stepDowns;

    /** A run of {@code nodes} nodes for {@code duration} with a TTL of {@code ttl}, every fault on, and {@code mutation} if any. */
    public DriverSimulation(long seed, int nodes, Duration duration, Duration ttl, Optional<DriverMutation> mutation) {
        if (nodes < 2 || nodes > 16) {
            throw new IllegalArgumentException("nodes must be 2..16, not " + nodes);
        }
        if (duration.compareTo(ttl.multipliedBy(20)) < 0) {
            throw new IllegalArgumentException("duration must be at least 20 TTLs");
        }
        this.seed = seed;
        this.mutation = mutation;
        this.ttl = ttl.toNanos();
        this.end = duration.toNanos();
        this.healAt = end * 6 / 10;
        this.random = new SplittableRandom(seed);
        for (int i = 0; i < nodes; i++) {
            this.nodes.add(new Node(i, 1 + (random.nextDouble() * 2 - 1) * 0.02));
        }
    }

    /** The defaults of a campaign: 5 nodes, 60 s, a TTL of 1 s. */
    public static DriverSimulation of(long seed, Optional<DriverMutation> mutation) {
        return new DriverSimulation(seed, 5, Duration.ofSeconds(60), Duration.ofSeconds(1), mutation);
    }

    /** Runs to the end and returns what the checkers found. */
    public Result run() {
        try {
            for (Node n : nodes) {
                at(random.nextLong(0, 50 * MS), () -> start(n));
            }
            scheduleFaults();
            long nextSample = 0;
            while (true) {
                Event e = queue.peek();
                if (nextSample < end && (e == null || nextSample < e.at())) {
                    now = nextSample;
                    nextSample += MS;
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
        } catch (RuntimeException stuck) {
            // A pool thread that neither parked nor ended, or failed: the driver blocked or broke where it must not.
            violations.add(new SimulationResult.Violation(STUCK, String.valueOf(stuck.getMessage())));
        } finally {
            for (Node n : nodes) {
                if (n.pool != null) {
                    n.pool.kill();
                }
            }
        }
        return check();
    }

    // ---- nodes ---------------------------------------------------------------------------------

    private void start(Node n) {
        n.incarnation++;
        n.crashed = false;
        n.pausedUntil = 0; // a new process: a pause of the one that crashed does not carry over
        n.handles.forEach(List::clear);
        n.waitingCall = null;
        n.waitReported = false;
        n.idleWakeups = 0;
        n.stoppedWakeups = 0;
        n.wakeWindowStart = now;
        n.fast = random.nextInt(3) == 0;
        int incarnation = n.incarnation;
        n.pool = new SimIoPool(n.holder() + "-io", 1 + random.nextInt(4), task -> onNode(n, incarnation, now, task), e -> violations.add(
                new SimulationResult.Violation(STUCK, "a pool thread of " + n.holder() + " failed: " + e)));
        NodeScheduler scheduler = new NodeScheduler(n, incarnation);
        LeaseManager manager = LeaseManager.builder(new NodeStore(n, incarnation), n.holder())
                .ttl(Duration.ofNanos(ttl))
                .renewInterval(Duration.ofNanos(ttl / 4))
                .safetyMargin(Duration.ofNanos(ttl / 5))
                .skewMargin(Duration.ofNanos(ttl / 10))
                .requestTimeout(Duration.ofNanos(ttl / 4))
                .retryPolicy(RetryPolicy.tests())
                .clock(clockOf(n))
                .scheduler(scheduler)
                .ioExecutor(n.pool)
                .callbackExecutor(task -> onNode(n, incarnation, now, task))
                .random(new SplittableRandom(seed * 1_000_003L + n.index * 7919L + incarnation))
                .batchBackendCalls(true)
                .build();
        Object driver = DRIVER.get(manager);
        if (mutation.orElse(null) == DriverMutation.RUNNER_IGNORES_INTERRUPT) {
            STOP_WHEN_INTERRUPTED.set(BATCH.get(driver), false);
        }
        if (mutation.orElse(null) == DriverMutation.RELEASE_BEFORE_INVALIDATE) {
            INVALIDATE_BEFORE_RELEASE.set(driver, false);
        }
        if (mutation.orElse(null) == DriverMutation.NO_STALL_CHECK) {
            CHECK_STALLS.set(driver, false);
        }
        if (mutation.orElse(null) == DriverMutation.CANCEL_KEEPS_ATTEMPT) {
            LET_GO_ON_CANCEL.set(manager, false);
        }
        if (mutation.orElse(null) == DriverMutation.SHUTDOWN_KEEPS_CALLS) {
            DROP_WHEN_SHUT_DOWN.set(BATCH.get(driver), false);
        }
        if (mutation.orElse(null) == DriverMutation.STALL_CHECK_FOREVER) {
            STALL_CHECK_ONLY_WHILE_WAITING.set(driver, false);
        }
        n.queued = (ConcurrentLinkedQueue<?>) QUEUE.get(BATCH.get(driver));
        n.manager = manager;
        for (int i = 0; i < LEASES; i++) {
            n.elections[i] = manager.elect(name(i), new Listener(n, incarnation, i));
            if (mutation.orElse(null) == DriverMutation.LEADER_IGNORES_LEASE) {
                LEADER_CHECKS_LEASE.set(n.elections[i], false);
            }
        }
        n.nobodySince = -1;
        n.nobodyReported = false;
        nextJob(n, incarnation);
        log(n, "start, " + n.pool.size() + " I/O threads, " + (n.fast ? "a local" : "a remote") + " store");
    }

    private LeaseClock clockOf(Node n) {
        return new LeaseClock() {
            @Override
            public long nanoTime() {
                return n.local();
            }

            @Override
            public long wallMillis() {
                return 1_800_000_000_000L + now / MS;
            }
        };
    }

    /** What a node's application hears from its election (on the callback executor, in order). */
    private final class Listener implements LeaderListener {
        private final Node n;
        private final int incarnation;
        private final int lease;

        Listener(Node n, int incarnation, int lease) {
            this.n = n;
            this.incarnation = incarnation;
            this.lease = lease;
        }

        @Override
        public void onElected(FencingToken token) {
            elections++;
            epochs.add(lease + "@" + token.epoch());
            log(n, name(lease) + " elected, epoch " + token.epoch());
            // The application's workers pick up the handle at once (the sampler also looks every millisecond).
            n.elections[lease].lease().ifPresent(l -> keep(n, lease, l));
        }

        @Override
        public void onRevoked(Revocation revocation) {
            log(n, name(lease) + " revoked, epoch " + revocation.token().epoch() + ": " + revocation.reason());
        }

        @Override
        public void onFailed(ElectionFailure failure) {
            log(n, name(lease) + " election failure: " + failure.getClass().getSimpleName());
        }
    }

    private static String name(int lease) {
        return lease == JOB ? "job" : "writer-" + lease;
    }

    // ---- the job lease: the non-blocking acquire calls, cancelled now and then ------------------

    private void nextJob(Node n, int incarnation) {
        nextJob(n, incarnation, ttl);
    }

    private void nextJob(Node n, int incarnation, long within) {
        onNode(n, incarnation, now + random.nextLong(0, within), () -> tryJob(n, incarnation));
    }

    /**
     * The application tries for the job lease, with a deadline ({@code acquireAsync}) or once
     * ({@code tryAcquireAsync}); one attempt in four is cancelled a while later, whatever stage it
     * is at, and the application leaves the job alone for up to six TTLs. A lease it gets it holds
     * for a while and releases ({@code releaseAsync}), then tries again.
     */
    private void tryJob(Node n, int incarnation) {
        CompletableFuture<Optional<Lease>> attempt;
        CompletableFuture<?> caller;
        if (random.nextBoolean()) {
            CompletableFuture<Lease> f = n.manager.acquireAsync(name(JOB), Duration.ofNanos(random.nextLong(ttl / 2, 3 * ttl)));
            caller = f;
            attempt = f.thenApply(Optional::of);
        } else {
            CompletableFuture<Optional<Lease>> f = n.manager.tryAcquireAsync(name(JOB));
            caller = f;
            attempt = f;
        }
        if (random.nextInt(4) == 0) {
            onNode(n, incarnation, now + random.nextLong(0, ttl), () -> {
                if (caller.cancel(true)) {
                    jobsCancelled++;
                    log(n, "job attempt cancelled");
                }
            });
        }
        attempt.whenComplete((taken, error) -> onNode(n, incarnation, now, () -> {
            if (caller.isCancelled()) {
                nextJob(n, incarnation, 6 * ttl); // it gave up on the job for a while
                return;
            }
            if (error != null || taken.isEmpty()) {
                nextJob(n, incarnation);
                return;
            }
            Lease lease = taken.get();
            jobsTaken++;
            keep(n, JOB, lease);
            log(n, "job taken, epoch " + lease.fencingToken().epoch());
            onNode(n, incarnation, now + random.nextLong(ttl / 4, 2 * ttl), () -> {
                log(n, "job released");
                lease.releaseAsync().whenComplete((done, failed) -> nextJob(n, incarnation));
            });
        }));
    }

    /**
     * The manager holds the job lease, valid and renewed, with no caller ever handed it, for more
     * than a few TTLs: a cancelled attempt took it for nobody. (Between an acquisition landing and
     * the caller's future, or a cancellation and its release, it lasts a round trip or a few retries.)
     */
    private void checkHeldForNobody(Node n) {
        Object slot = ((Map<?, ?>) SLOTS.get(DRIVER.get(n.manager))).get(name(JOB));
        Lease held = slot == null ? null : (Lease) SLOT_LEASE.get(slot);
        boolean nobody = held != null && held.isValid() && n.handles.get(JOB).stream().noneMatch(l -> l == held);
        if (!nobody) {
            n.nobodySince = -1;
            return;
        }
        if (n.nobodySince < 0) {
            n.nobodySince = now;
        } else if (now - n.nobodySince > NOBODY_BOUND_TTLS * ttl && !n.nobodyReported) {
            n.nobodyReported = true;
            violations.add(new SimulationResult.Violation(HELD_FOR_NOBODY, "at " + now / MS + " ms " + n.holder() + " has held "
                    + name(JOB) + " (epoch " + held.fencingToken().epoch() + ") since " + n.nobodySince / MS
                    + " ms, renewed, with no caller ever handed it"));
        }
    }

    private List<LinearizabilityChecker.Op> history(String key) {
        return ops.computeIfAbsent(key, k -> new ArrayList<>());
    }

    private void keep(Node n, int lease, Lease handle) {
        List<Lease> handles = n.handles.get(lease);
        for (Lease l : handles) {
            if (l == handle) {
                return;
            }
        }
        handles.add(handle);
    }

    /**
     * The node's protocol thread: a FIFO of tasks and the node's timers, on the simulation's thread.
     * Tasks run in order; a timer that falls due first runs the tasks queued before it, as the timer
     * wheel does. A task given to {@link #executeWithin} waits for a random part of its bound.
     */
    private final class NodeScheduler implements LeaseScheduler {
        private final Node n;
        private final int incarnation;
        private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
        /** When the queued tasks are due to run (Long.MAX_VALUE when none is queued). */
        private long drainAt = Long.MAX_VALUE;
        private boolean closed;

        NodeScheduler(Node n, int incarnation) {
            this.n = n;
            this.incarnation = incarnation;
        }

        @Override
        public Cancellable schedule(Runnable task, long delayNanos) {
            check();
            boolean[] cancelled = new boolean[1];
            long due = n.toTrue(n.local() + Math.max(0, delayNanos));
            onNode(n, incarnation, Math.max(now, due), () -> {
                drain();
                if (!cancelled[0]) {
                    wokeUp();
                    task.run();
                }
            });
            return () -> cancelled[0] = true;
        }

        @Override
        public void execute(Runnable task) {
            executeAt(task, now);
        }

        @Override
        public void executeWithin(Runnable task, long withinNanos) {
            executeAt(task, now + (withinNanos <= 0 ? 0 : random.nextLong(withinNanos + 1)));
        }

        private void executeAt(Runnable task, long at) {
            check();
            tasks.add(task);
            if (at < drainAt) {
                drainAt = at;
                onNode(n, incarnation, at, () -> {
                    if (drainAt <= now) {
                        drain();
                    }
                });
            }
        }

        private void drain() {
            drainAt = Long.MAX_VALUE;
            if (!tasks.isEmpty()) {
                wokeUp();
            }
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
        }

        /** The protocol thread wakes for work: counted when no call waits for a runner, and apart once none can run. */
        private void wokeUp() {
            if (n.pool.isShutdown()) {
                n.stoppedWakeups++;
            } else if (n.queued.isEmpty()) {
                n.idleWakeups++;
            }
        }

        private void check() {
            if (closed) {
                throw new RejectedExecutionException("the simulated protocol thread of " + n.holder() + " is closed");
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Runs {@code action} at {@code at} on the node's behalf: never once it crashed, later while it is paused. */
    private void onNode(Node n, int incarnation, long at, Runnable action) {
        at(at, () -> {
            if (n.crashed || n.incarnation != incarnation) {
                return;
            }
            if (n.pausedUntil > now) {
                onNode(n, incarnation, n.pausedUntil, action);
                return;
            }
            action.run();
        });
    }

    private void at(long at, Runnable action) {
        queue.add(new Event(at, seq++, action));
    }

    // ---- the store behind the network ----------------------------------------------------------

    /** A node's view of the store: each call blocks its pool thread until the simulation answers it. */
    private final class NodeStore extends ForwardingAtomicBackend {
        private final Node n;
        private final int incarnation;

        NodeStore(Node n, int incarnation) {
            super(store);
            this.n = n;
            this.incarnation = incarnation;
        }

        @Override
        public Optional<Versioned<byte[]>> read(String k) {
            Call c = call(k, false, null, null);
            if (c.error != null) {
                throw c.error;
            }
            return c.found;
        }

        @Override
        public ObjectVersion put(String k, byte[] bytes, ConditionalPut condition) {
            Call c = call(k, true, bytes, condition);
            if (c.error != null) {
                throw c.error;
            }
            return c.version;
        }

        @Override
        public void deleteConditional(String k, ConditionalDelete condition) {
            throw new UnsupportedOperationException("the lease driver never deletes");
        }

        private Call call(String key, boolean write, byte[] bytes, ConditionalPut condition) {
            SimIoPool.Worker worker = n.pool.current();
            if (worker == null) {
                throw new IllegalStateException("a backend call of " + n.holder() + " outside its I/O pool");
            }
            if (n.pool.isShutdown()) {
                violations.add(new SimulationResult.Violation(CALL_AFTER_SHUTDOWN, "at " + now / MS + " ms " + n.holder()
                        + " started a " + (write ? "write" : "read") + " after its I/O pool was shut down"));
            } else if (Thread.currentThread().isInterrupted()) {
                // Blocking I/O on an interrupted thread fails at once (ClosedByInterruptException): the call never leaves.
                violations.add(new SimulationResult.Violation(CALL_WHEN_INTERRUPTED, "at " + now / MS + " ms " + n.holder()
                        + " started a " + (write ? "write" : "read") + " on a pool thread left interrupted by the call before"));
                throw BackendException.transport(key, false, "the thread is interrupted (the call was not sent)", null);
            }
            calls++;
            Call c = new Call(n, incarnation, worker, key, write);
            worker.call = c;
            if (n.partitionedUntil > now || faulty(40)) {
                log(n, "request lost: " + (write ? "write" : "read"));
                timeOut(c);
            } else {
                at(now + latency(n), () -> arrive(c, bytes, condition));
            }
            if (write) {
                inFlight.add(c);
            }
            worker.thread.park();
            worker.call = null;
            if (c.leavesInterrupted) {
                Thread.currentThread().interrupt();
            }
            return c;
        }
    }

    /** The client hears nothing and gives up after its own timeout (one to three TTLs). */
    private void timeOut(Call c) {
        long after = random.nextLong(ttl, 3 * ttl);
        at(now + after, () -> c.answer(BackendException.transport(c.key, c.write, "timed out after " + after / MS + " ms", null), true));
    }

    private void arrive(Call c, byte[] bytes, ConditionalPut condition) {
        if (faulty(30)) {
            BackendException refused = BackendException.transport(c.key, false, "503 SlowDown (not applied)", null);
            respond(c, refused, false);
            return;
        }
        if (!c.write) {
            c.found = store.read(c.key);
            c.applied = new LinearizabilityChecker.Op(c.invoked, 0, LinearizabilityChecker.Kind.READ,
                    c.found.map(v -> Simulation.nonceOf(v.value())).orElse(null), null, LinearizabilityChecker.Outcome.OK);
            respond(c, null, false);
            return;
        }
        boolean ifAbsent = condition instanceof ConditionalPut.IfAbsent;
        String expected = condition instanceof ConditionalPut.IfVersion iv ? nonceOfVersion.get(c.key + "@" + iv.version().token()) : null;
        LinearizabilityChecker.Kind kind = ifAbsent ? LinearizabilityChecker.Kind.PUT_IF_ABSENT : LinearizabilityChecker.Kind.PUT_IF_VERSION;
        String nonce = Simulation.nonceOf(bytes);
        BackendException failure = null;
        try {
            c.version = store.put(c.key, bytes, condition);
            nonceOfVersion.put(c.key + "@" + c.version.token(), nonce);
            c.applied = new LinearizabilityChecker.Op(c.invoked, 0, kind, expected, nonce, LinearizabilityChecker.Outcome.OK);
        } catch (BackendException e) {
            failure = e;
            c.applied = new LinearizabilityChecker.Op(c.invoked, 0, kind, expected, nonce, LinearizabilityChecker.Outcome.CONDITION_FAILED);
        }
        if (faulty(15)) {
            // Applied (or refused), and the answer is lost: the client's timeout, or a reset, tells it nothing.
            log(c.node, "answer lost after a write");
            if (random.nextBoolean()) {
                timeOut(c);
            } else {
                long after = latency(c.node);
                at(now + after, () -> c.answer(BackendException.transport(c.key, true, "connection reset after sending", null), true));
            }
            return;
        }
        respond(c, failure, false);
    }

    /** Sends the answer back: after the network's latency, much later when the call hangs, never across a partition. */
    private void respond(Call c, BackendException failure, boolean unknown) {
        long delay = latency(c.node);
        if (faulty(60)) {
            // The client library is interrupted while it waits for the answer (its own watchdog, a
            // cancelled future) and gives up, the interrupt flag restored: the outcome is unknown to the
            // caller, and the thread's next blocking call would fail at once.
            c.leavesInterrupted = true;
            at(now + delay, () -> c.answer(BackendException.transport(c.key, c.write, "interrupted while waiting for the answer", null), true));
            return;
        }
        if (faulty(25)) {
            hungCalls++;
            delay += random.nextLong(ttl / 2, 3 * ttl);
            log(c.node, "call hangs for " + delay / MS + " ms");
        }
        if (c.node.partitionedUntil > now) {
            timeOut(c);
            return;
        }
        at(now + delay, () -> c.answer(failure, unknown));
    }

    private long latency(Node n) {
        if (n.fast) {
            return now < healAt && random.nextInt(50) == 0 ? random.nextLong(1, 5) * MS : random.nextLong(5_000, 40_000);
        }
        if (now < healAt && random.nextInt(20) == 0) {
            return random.nextLong(50, 400) * MS;
        }
        return random.nextLong(1, 8) * MS;
    }

    private boolean faulty(int oneIn) {
        return now < healAt && random.nextInt(oneIn) == 0;
    }

    private static LinearizabilityChecker.Op unknownOf(LinearizabilityChecker.Op op) {
        if (op.kind() == LinearizabilityChecker.Kind.READ) {
            return null;
        }
        return new LinearizabilityChecker.Op(op.invoked(), Long.MAX_VALUE, op.kind(), op.expected(), op.writes(),
                op.outcome() == LinearizabilityChecker.Outcome.OK ? LinearizabilityChecker.Outcome.UNKNOWN : op.outcome());
    }

    // ---- faults --------------------------------------------------------------------------------

    private void scheduleFaults() {
        for (long t = ttl; t < healAt; t += random.nextLong(ttl / 2, 4 * ttl)) {
            long at = t;
            Node n = nodes.get(random.nextInt(nodes.size()));
            int which = random.nextInt(10);
            at(at, () -> fault(n, which));
        }
    }

    private void fault(Node n, int which) {
        if (n.crashed) {
            return;
        }
        switch (which) {
            case 0, 1 -> {
                n.pausedUntil = Math.max(n.pausedUntil, now + random.nextLong(ttl, 3 * ttl));
                log(n, "paused until " + n.pausedUntil / MS + " ms");
            }
            case 2, 3 -> {
                n.partitionedUntil = Math.max(n.partitionedUntil, now + random.nextLong(ttl / 2, 3 * ttl));
                log(n, "partitioned until " + n.partitionedUntil / MS + " ms");
            }
            case 4, 5 -> crash(n, "crashed");
            case 6, 7 -> {
                if (n.pausedUntil > now) {
                    return; // the process that would stop its pool is paused: it does nothing
                }
                // The process stops its I/O pool under a live manager (a shutdown hook in the wrong order), then dies.
                poolShutdowns++;
                log(n, "I/O pool shut down (shutdownNow)");
                n.pool.shutdownNow();
                int incarnation = n.incarnation;
                at(now + random.nextLong(0, 2 * ttl), () -> {
                    if (n.incarnation == incarnation && !n.crashed) {
                        crash(n, "exited after its I/O pool stopped");
                    }
                });
            }
            default -> {
                int lease = random.nextInt(LEASES);
                for (Node leader : nodes) {
                    LeaderElection election = leader.elections[lease];
                    if (!leader.crashed && leader.pausedUntil <= now && election != null && election.isLeader()) {
                        stepDowns++;
                        log(leader, name(lease) + " steps down");
                        election.stepDown(Duration.ofNanos(random.nextLong(0, ttl)));
                        break;
                    }
                }
            }
        }
    }

    private void crash(Node n, String why) {
        crashes++;
        n.crashed = true;
        log(n, why);
        n.pool.kill();
        at(now + random.nextLong(ttl / 10, 2 * ttl), () -> start(n));
    }

    // ---- checks --------------------------------------------------------------------------------

    /** Every millisecond: the handles each live node's workers hold, asked whether they are valid. */
    private void sample() {
        for (Node n : nodes) {
            if (!n.crashed && n.manager != null) {
                checkWaiting(n);
                checkHeldForNobody(n);
                checkBusy(n);
            }
        }
        for (int lease = 0; lease <= JOB; lease++) {
            Node valid = null;
            Lease validLease = null;
            for (Node n : nodes) {
                if (n.crashed || n.manager == null) {
                    continue;
                }
                int i = lease;
                if (lease < LEASES) {
                    n.elections[lease].lease().ifPresent(l -> keep(n, i, l));
                }
                for (Lease l : n.handles.get(lease)) {
                    if (!l.isValid()) {
                        continue;
                    }
                    if (valid != null && valid != n && overlapsReported++ < 5) {
                        violations.add(new SimulationResult.Violation(MUTUAL_EXCLUSION, "at " + now / MS + " ms " + valid.holder()
                                + " (epoch " + validLease.fencingToken().epoch() + ") and " + n.holder() + " (epoch "
                                + l.fencingToken().epoch() + ") both hold a valid handle of " + name(lease)));
                    }
                    long epoch = l.fencingToken().epoch();
                    if (epoch < maxValidEpoch[lease] && fencingReported++ < 5) {
                        violations.add(new SimulationResult.Violation(FENCING, "at " + now / MS + " ms " + n.holder() + " holds a valid handle of "
                                + name(lease) + " at epoch " + epoch + " after one at epoch " + maxValidEpoch[lease]));
                    }
                    maxValidEpoch[lease] = Math.max(maxValidEpoch[lease], epoch);
                    valid = n;
                    validLease = l;
                }
                // An application asks isLeader() before it acts, as often as its handle: a node that says
                // yes leads, whatever its handles say (when it is right, its handle was kept just above).
                if (lease < LEASES && valid != n && n.elections[lease].isLeader()) {
                    List<Lease> kept = n.handles.get(lease);
                    Lease term = kept.isEmpty() ? null : kept.get(kept.size() - 1);
                    if (valid != null && overlapsReported++ < 5) {
                        violations.add(new SimulationResult.Violation(MUTUAL_EXCLUSION, "at " + now / MS + " ms " + valid.holder()
                                + " (epoch " + validLease.fencingToken().epoch() + ") holds a valid handle of " + name(lease) + " and "
                                + n.holder() + " says it is leader (isLeader())" + (term == null ? "" : " at epoch " + term.fencingToken().epoch())));
                    }
                    if (term == null || !term.isValid()) {
                        if (overlapsReported++ < 5) {
                            violations.add(new SimulationResult.Violation(MUTUAL_EXCLUSION, "at " + now / MS + " ms " + n.holder()
                                    + " says it leads " + name(lease) + " (isLeader()) without a valid lease"));
                        }
                    }
                    if (term != null) {
                        valid = n;
                        validLease = term;
                    }
                }
            }
            if (valid != null && now >= healAt && firstValidAfterHeal[lease] < 0) {
                firstValidAfterHeal[lease] = now;
            }
            if (now >= healAt) {
                long since = Math.max(healAt, lastValidAfterHeal[lease]);
                if (valid != null) {
                    lastValidAfterHeal[lease] = now;
                } else {
                    longestGapAfterHeal[lease] = Math.max(longestGapAfterHeal[lease], now - since);
                }
            }
        }
    }

    /**
     * No call waits for a runner, while a thread of the pool is free, longer than the driver's stall
     * check allows: the oldest waiting call is the same one for more than {@link #WAIT_BOUND} (a call
     * stuck behind one that hangs). Not while the node is paused (its protocol thread runs nothing
     * then) or after its pool shut down.
     */
    private void checkWaiting(Node n) {
        Object oldest = n.queued.peek();
        if (oldest == null || n.pausedUntil > now || n.pool.isShutdown() || !n.pool.hasIdleThread()) {
            n.waitingCall = null;
            return;
        }
        if (oldest != n.waitingCall) {
            n.waitingCall = oldest;
            n.waitingSince = now;
        } else if (now - n.waitingSince > WAIT_BOUND && !n.waitReported) {
            n.waitReported = true;
            violations.add(new SimulationResult.Violation(CALLS_WAIT, "at " + now / MS + " ms a backend call of " + n.holder()
                    + " has waited for a runner since " + n.waitingSince / MS + " ms while a thread of its pool was free ("
                    + n.queued.size() + " waiting)"));
        }
    }

    /** A node's protocol thread, with no call to start, wakes no more than {@link #BUSY_LIMIT} times a second. */
    private void checkBusy(Node n) {
        if (now - n.wakeWindowStart < 1000 * MS) {
            return;
        }
        busiestSecond = Math.max(busiestSecond, n.idleWakeups);
        if (n.idleWakeups > BUSY_LIMIT && busyReported++ < 5) {
            violations.add(new SimulationResult.Violation(BUSY, "the protocol thread of " + n.holder() + " woke " + n.idleWakeups
                    + " times in the second to " + now / MS + " ms with no backend call waiting for a runner"));
        }
        if (n.stoppedWakeups > BUSY_LIMIT && busyReported++ < 5) {
            violations.add(new SimulationResult.Violation(BUSY_AFTER_SHUTDOWN, "the protocol thread of " + n.holder() + " woke "
                    + n.stoppedWakeups + " times in the second to " + now / MS + " ms after its I/O pool shut down"));
        }
        n.idleWakeups = 0;
        n.stoppedWakeups = 0;
        n.wakeWindowStart = now;
    }

    private Result check() {
        long bound = 8 * ttl;
        for (int lease = 0; lease <= JOB; lease++) {
            long first = firstValidAfterHeal[lease];
            if (first < 0 || first - healAt > bound) {
                violations.add(new SimulationResult.Violation(LIVENESS, "no leader of " + name(lease) + " within " + bound / MS
                        + " ms after faults stopped at " + healAt / MS + " ms" + (first < 0 ? " (none at all)" : " (first at " + first / MS + " ms)")));
            } else if (lease < LEASES && longestGapAfterHeal[lease] > bound) {
                // Elections only: the job lease is free on purpose between an application's attempts.
                violations.add(new SimulationResult.Violation(LIVENESS, "no leader of " + name(lease) + " for " + longestGapAfterHeal[lease] / MS
                        + " ms after faults stopped at " + healAt / MS + " ms (last at " + lastValidAfterHeal[lease] / MS + " ms)"));
            }
        }
        for (Call c : inFlight) {
            if (c.applied != null && unknownOf(c.applied) != null) {
                history(c.key).add(unknownOf(c.applied)); // applied, its answer not back by the end
            }
        }
        long checked = 0;
        for (Map.Entry<String, List<LinearizabilityChecker.Op>> register : new TreeMap<>(ops).entrySet()) {
            List<LinearizabilityChecker.Op> history = new ArrayList<>();
            for (LinearizabilityChecker.Op op : register.getValue()) {
                if (op != null) {
                    history.add(op);
                }
            }
            LinearizabilityChecker.Result lin = LinearizabilityChecker.check(history, null);
            checked += history.size();
            if (!lin.linearizable()) {
                violations.add(new SimulationResult.Violation(LINEARIZABILITY, register.getKey() + ": " + lin.detail() + " ("
                        + lin.linearizedBeforeFailure() + " of " + lin.operations() + " operations linearized)"));
            }
        }
        long h = 1125899906842597L;
        for (String line : log) {
            h = 31 * h + line.hashCode();
        }
        return new Result(seed, List.copyOf(violations), epochs.size(), elections, calls, hungCalls, poolShutdowns, crashes, stepDowns,
                jobsTaken, jobsCancelled, checked, h, List.copyOf(log), busiestSecond);
    }

    private void log(Node n, String what) {
        log.add(now / MS + " " + n.holder() + " " + what);
    }
}
