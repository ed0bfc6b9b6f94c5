package dev.tenure.lease;

import dev.tenure.lease.protocol.LeaseMachine;
import dev.tenure.lease.protocol.CommandDispatcher;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.lease.protocol.LeaseMachine.Command;
import dev.tenure.metrics.TenureObserver;
import dev.tenure.metrics.internal.LeaseEvents;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs lease machines against a backend. Every machine event is handled on the scheduler's one
 * thread; blocking backend calls run on the I/O executor and their answers come back to that
 * thread; listener callbacks run on the callback executor, in order. Commands are carried out by
 * {@link CommandDispatcher}, like in the simulator: every protocol rule (one lease lifetime at a
 * time, releasing an acquisition that lands when nobody waits for it, invalidating handles before
 * a release is sent, deadlines) lives in {@link LeaseMachine}; this class only maps its events to
 * futures, {@link Lease} handles and elections.
 *
 * <p>Closing fails every acquisition still pending with {@link IllegalStateException} at once,
 * and waits (bounded) for the acquisitions in flight to settle and for their releases.
 */
final class LeaseDriver {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseDriver.class);

    /** One lease name's machine and the API calls waiting on it. Touched only on the scheduler thread. */
    static final class Slot {
        final LeaseMachine machine;
        CompletableFuture<Optional<Lease>> acquiring;
        final List<CompletableFuture<Void>> renewing = new ArrayList<>();
        final List<CompletableFuture<Void>> releasing = new ArrayList<>();
        Lease lease;
        LeaderElection election;
        /** An acquisition landed with nobody waiting for it: release it once the current commands have run. */
        boolean releaseOrphan;
        /** Why the lease is being let go, for the handle's {@link Revocation}; set by whoever asks for the release. */
        String releasingBecause = "it was released";
        /**
         * The armed timer of each kind. Setting a timer makes the machine ignore the previous one of
         * its kind (its token is stale), so that one is cancelled rather than left to fire for
         * nothing: with thousands of leases the stale renewals, deadlines and request timeouts were
         * most of the scheduler's timers.
         */
        final LeaseScheduler.Cancellable[] timers = new LeaseScheduler.Cancellable[LeaseMachine.Timer.values().length];

        Slot(LeaseMachine machine) {
            this.machine = machine;
        }
    }

    private final AtomicRemoteBackend backend;
    private final LeaseConfig config;
    private final LeaseScheduler scheduler;
    private final Executor io;
    /** The protocol's backend calls, handed to {@link #io} once per turn of the protocol thread. */
    private final IoBatch batch;
    /**
     * The rule that every handle turns invalid before a release write leaves. Off only under the
     * driver simulation's mutation {@code RELEASE_BEFORE_INVALIDATE} (handles stay valid until the
     * release is answered), reached by a private lookup.
     */
    boolean invalidateBeforeRelease = true;
    /**
     * The rule that the driver looks again while calls wait, so a call queued behind one that hangs
     * gets a runner whether or not more calls come. Off only under the driver simulation's mutation
     * {@code NO_STALL_CHECK}, reached by a private lookup.
     */
    boolean checkStalls = true;
    /**
     * The rule that the stall check is armed only while calls wait. Off only under the driver
     * simulation's mutation {@code STALL_CHECK_FOREVER} (it re-arms every millisecond for
     * nothing), reached by a private lookup.
     */
    boolean stallCheckOnlyWhileWaiting = true;
    /** Calls go through {@link #batch}; otherwise each goes to {@link #io} on its own. */
    private final boolean batching;
    /** A {@link #flushTask} is queued on the protocol thread; touched only there. */
    private boolean flushQueued;
    /** A {@link #checkStalled} timer is set; touched only on the protocol thread. */
    private boolean stallCheckArmed;
    private final Runnable flushTask = this::flushBatch;
    private final Executor callbacks;
    private final RandomGenerator random;
    /** Log lines, metrics and health, from the machines' events and each request's outcome. */
    private final LeaseEvents events;
    private final Map<String, Slot> slots = new HashMap<>();
    /** Set on the protocol thread when the manager starts closing: no acquisition or election starts after it. */
    private boolean closed;
    /** Every acquisition future not yet completed, so that closing can fail those a stopped protocol thread dropped. */
    private final Set<CompletableFuture<Optional<Lease>>> pending = ConcurrentHashMap.newKeySet();

    LeaseDriver(AtomicRemoteBackend backend, LeaseConfig config, LeaseScheduler scheduler, Executor io, Executor callbacks,
            RandomGenerator random) {
        this(backend, config, scheduler, io, callbacks, random, new LeaseEvents(config, TenureObserver.none()), true);
    }

    LeaseDriver(AtomicRemoteBackend backend, LeaseConfig config, LeaseScheduler scheduler, Executor io, Executor callbacks,
            RandomGenerator random, LeaseEvents events, boolean batching) {
        this.batching = batching;
        this.events = events;
        this.backend = backend;
        this.config = config;
        this.scheduler = scheduler;
        this.io = io;
        this.batch = new IoBatch(io, config.clock()::nanoTime);
        this.callbacks = callbacks;
        this.random = random;
    }

    long nanoTime() {
        return config.clock().nanoTime();
    }

    LeaseConfig config() {
        return config;
    }

    /** Runs {@code task} on the callback executor, in order; once that has stopped (the manager closed), on this thread. */
    void callback(Runnable task) {
        try {
            callbacks.execute(task);
        } catch (RejectedExecutionException stopped) {
            task.run();
        }
    }

    /** Runs {@code task} after {@code delayNanos} on the protocol thread (the manager's clock); empty when the manager stopped. */
    Optional<LeaseScheduler.Cancellable> schedule(Runnable task, long delayNanos) {
        try {
            return Optional.of(scheduler.schedule(task, delayNanos));
        } catch (RejectedExecutionException stopped) {
            return Optional.empty();
        }
    }

    AtomicRemoteBackend backend() {
        return backend;
    }

    /** Runs a blocking backend call on the I/O executor. */
    void io(Runnable call) {
        io.execute(call);
    }

    LeaseEvents events() {
        return events;
    }

    // ---- API entry points (any thread) ---------------------------------------------------------

    /**
     * Starts an acquisition; {@code deadline} for {@link LeaseMachine.Mode#UNTIL_DEADLINE}
     * ({@link LeaseMachine.Mode#ONCE} gives up one TTL from now). While this manager is still
     * letting go of the lease, the machine waits for that first, within the deadline.
     */
    CompletableFuture<Optional<Lease>> acquire(String name, LeaseMachine.Mode mode, long deadline) {
        CompletableFuture<Optional<Lease>> result = new CompletableFuture<>();
        pending.add(result);
        result.whenComplete((r, e) -> pending.remove(result));
        try {
            scheduler.execute(() -> startAcquire(name, mode, deadline, result));
        } catch (RejectedExecutionException stopped) {
            result.completeExceptionally(closedWhileAcquiring(name));
        }
        return result;
    }

    /**
     * Waits for an acquisition. If the caller is interrupted first, nobody will ever hold the handle:
     * the acquisition is let go (one that lands is released at once), so the lease is never taken
     * and renewed for nobody.
     */
    Optional<Lease> awaitAcquisition(String name, CompletableFuture<Optional<Lease>> result) throws InterruptedException {
        try {
            return await(result, "acquiring " + name);
        } catch (InterruptedException interrupted) {
            letGo(name, result, "the caller acquiring " + name + " was interrupted");
            throw interrupted;
        }
    }

    /**
     * Nobody waits for {@code result} any more: an acquisition still pending is let go (one that
     * lands is released at once); one answered already is not touched (its handle was handed over).
     */
    void letGo(String name, CompletableFuture<Optional<Lease>> result, String why) {
        post(() -> {
            Slot slot = slots.get(name);
            if (slot != null && slot.acquiring == result) {
                slot.acquiring = null;
                result.completeExceptionally(new IllegalStateException(why));
                run(slot, slot.machine.release(nanoTime()));
            }
        });
    }

    private void startAcquire(String name, LeaseMachine.Mode mode, long deadline, CompletableFuture<Optional<Lease>> result) {
        if (closed) {
            result.completeExceptionally(closedWhileAcquiring(name));
            return;
        }
        Slot slot = slot(name);
        if (slot.election != null) {
            result.completeExceptionally(new IllegalStateException("lease " + name + " is held by an election of this manager"));
            return;
        }
        if (slot.acquiring != null) {
            result.completeExceptionally(new IllegalStateException("lease " + name + " is already being acquired"));
            return;
        }
        slot.acquiring = result;
        run(slot, slot.machine.acquire(nanoTime(), mode, deadline));
    }

    private IllegalStateException closedWhileAcquiring(String name) {
        return new IllegalStateException("lease manager of " + config.holder() + " closed while acquiring " + name);
    }

    /** After the protocol thread stopped: fails every acquisition it did not complete (none, unless it dropped tasks). */
    void failPending() {
        for (CompletableFuture<Optional<Lease>> waiting : List.copyOf(pending)) {
            waiting.completeExceptionally(new IllegalStateException("lease manager of " + config.holder() + " closed while acquiring"));
        }
    }

    /** Starts an election; while this manager is still letting go of the lease, the machine starts contending when that ends. */
    void elect(String name, LeaderElection election) {
        Runnable start = () -> {
            if (closed) {
                callback(() -> election.failed(new ElectionFailure.ManagerClosed(name, config.holder())));
                return;
            }
            Slot slot = slot(name);
            if (slot.election != null || slot.acquiring != null || slot.lease != null) {
                callback(() -> election.failed(new ElectionFailure.AlreadyInUse(name)));
                return;
            }
            slot.election = election;
            events.electionStarted(slot.machine.key());
            run(slot, slot.machine.acquire(nanoTime(), LeaseMachine.Mode.FOREVER, Long.MAX_VALUE));
        };
        try {
            scheduler.execute(start);
        } catch (RejectedExecutionException stopped) {
            callback(() -> election.failed(new ElectionFailure.ManagerClosed(name, config.holder())));
        }
    }

    /** The election's leader steps down but keeps contending, not before {@code holdOffNanos}; nothing happens unless it leads. */
    void stepDown(String name, LeaderElection election, long holdOffNanos) {
        post(() -> {
            Slot slot = slots.get(name);
            if (slot == null || slot.election != election) {
                return;
            }
            slot.releasingBecause = "this node stepped down";
            run(slot, slot.machine.stepDown(nanoTime(), holdOffNanos));
            slot.releasingBecause = "it was released";
        });
    }

    void stopElection(String name, LeaderElection election) throws InterruptedException {
        CompletableFuture<Void> done;
        try {
            done = beginStopElection(name, election);
        } catch (RejectedExecutionException stopped) {
            return; // the manager closed: it stopped every election and released what they held
        }
        awaitBounded(done, name);
    }

    private CompletableFuture<Void> beginStopElection(String name, LeaderElection election) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        scheduler.execute(() -> {
            Slot slot = slots.get(name);
            if (slot == null || slot.election != election) {
                done.complete(null);
                return;
            }
            slot.election = null;
            events.electionStopped(slot.machine.key());
            run(slot, slot.machine.stopContending());
            if (slot.lease != null) {
                slot.lease.markLost(RevocationReason.RELEASED, "the election was closed", null);
            }
            // Queued behind every callback already due, so the listener's order holds.
            callback(election::closedByCaller);
            // Done when the lease is released, or when an acquisition in flight has settled (one that
            // lands is released at once: nobody waits for it any more).
            slot.releasing.add(done);
            run(slot, slot.machine.release(nanoTime()));
        });
        return done;
    }

    void renew(Slot slot, Lease lease) throws InterruptedException, TimeoutException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        scheduler.execute(() -> {
            slot.renewing.add(done);
            run(slot, slot.machine.renewNow(nanoTime()));
        });
        awaitOrTimeout(done, 2 * config.requestTimeout().toNanos() + config.ttlNanos());
    }

    /** Releases {@code lease}; nothing happens when it is no longer this slot's lease (released before, or lost). */
    void release(Slot slot, Lease lease) throws InterruptedException {
        CompletableFuture<Void> done;
        try {
            done = beginRelease(slot, lease);
        } catch (RejectedExecutionException stopped) {
            return; // the manager closed: it released every lease already
        }
        awaitBounded(done, slot.machine.key());
    }

    /** As {@link #release}, without waiting: completes when the release has ended, or after twice the request timeout. */
    CompletableFuture<Void> releaseAsync(Slot slot, Lease lease) {
        CompletableFuture<Void> done;
        try {
            done = beginRelease(slot, lease);
        } catch (RejectedExecutionException stopped) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> bounded = new CompletableFuture<>();
        done.whenComplete((v, e) -> bounded.complete(null));
        schedule(() -> {
            if (bounded.complete(null)) {
                LOG.warn("release of {} not confirmed within twice the request timeout; the record will expire instead", slot.machine.key());
            }
        }, 2 * config.requestTimeout().toNanos());
        return bounded;
    }

    /**
     * Releases {@code lease}, or with {@code null} (the manager closing) whatever the slot holds or
     * is acquiring: a pending acquisition then ends at once with {@link IllegalStateException}, and
     * one that lands later is released by the machine. Done when nothing is held or in flight any more.
     */
    private CompletableFuture<Void> beginRelease(Slot slot, Lease lease) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        scheduler.execute(() -> {
            if (lease != null && slot.lease != lease) {
                // A handle released before (or lost): the slot may hold a newer lease, which is not this handle's to end.
                done.complete(null);
                return;
            }
            if (lease != null && slot.election != null) {
                // The lease of an election: an election contends until it is closed, so releasing its
                // lease is a step-down (held off one TTL), not the end of the election.
                List<Command> commands = slot.machine.stepDown(nanoTime(), config.ttl().toNanos());
                if (commands.isEmpty()) {
                    done.complete(null); // lapsed or already being let go: the machine ends it by itself
                    return;
                }
                slot.releasing.add(done);
                run(slot, commands);
                return;
            }
            if (lease == null && slot.acquiring != null) {
                CompletableFuture<Optional<Lease>> waiting = slot.acquiring;
                slot.acquiring = null;
                waiting.completeExceptionally(closedWhileAcquiring(slot.machine.key()));
            }
            slot.releasing.add(done);
            run(slot, slot.machine.release(nanoTime()));
        });
        return done;
    }

    /** Releases every held lease and stops every election at once, then waits for them together, a bounded time. */
    void releaseAll() throws InterruptedException {
        CompletableFuture<List<Slot>> held = new CompletableFuture<>();
        scheduler.execute(() -> {
            closed = true;
            held.complete(new ArrayList<>(slots.values()));
        });
        List<CompletableFuture<Void>> releases = new ArrayList<>();
        for (Slot slot : await(held, "listing leases")) {
            LeaderElection election = slot.election;
            releases.add(election != null ? beginStopElection(election.name(), election) : beginRelease(slot, null));
        }
        awaitBounded(CompletableFuture.allOf(releases.toArray(CompletableFuture[]::new)), releases.size() + " leases");
    }

    /** Waits for releases up to twice the request timeout; after that the records simply expire. */
    private void awaitBounded(CompletableFuture<Void> done, String what) throws InterruptedException {
        try {
            awaitOrTimeout(done, 2 * config.requestTimeout().toNanos());
        } catch (TimeoutException e) {
            LOG.warn("release of {} not confirmed within twice the request timeout; the record will expire instead", what);
        }
    }

    // ---- the protocol thread -------------------------------------------------------------------

    private Slot slot(String name) {
        return slots.computeIfAbsent(name, n -> new Slot(new LeaseMachine(config, n, random)));
    }

    /**
     * A timer of a machine, as the scheduler holds it until it fires. One small object rather than a
     * lambda holding the machine's command and the dispatcher around it: with thousands of leases,
     * four timers pending each, those were a third of the manager's heap per lease.
     */
    private static final class TimerFired implements Runnable {
        private final LeaseDriver driver;
        private final Slot slot;
        private final LeaseMachine.Timer timer;
        private final long token;

        TimerFired(LeaseDriver driver, Slot slot, LeaseMachine.Timer timer, long token) {
            this.driver = driver;
            this.slot = slot;
            this.timer = timer;
            this.token = token;
        }

        @Override
        public void run() {
            driver.run(slot, slot.machine.onTimer(timer, token, driver.nanoTime()));
        }
    }

    private void run(Slot slot, List<Command> commands) {
        CommandDispatcher.dispatch(commands, new CommandDispatcher.Target() {
            @Override
            public void read(LeaseMachine.Read read) {
                backendCall(() -> doRead(slot, read));
            }

            @Override
            public void write(LeaseMachine.Write write) {
                TenureObserver.Operation operation = LeaseEvents.writeOperation(slot.machine.writePurpose());
                backendCall(() -> doWrite(slot, write, operation));
            }

            @Override
            public void timer(LeaseMachine.SetTimer timer) {
                int kind = timer.timer().ordinal();
                LeaseScheduler.Cancellable stale = slot.timers[kind];
                if (stale != null) {
                    stale.cancel();
                }
                slot.timers[kind] = scheduler.schedule(new TimerFired(LeaseDriver.this, slot, timer.timer(), timer.token()),
                        timer.atNanos() - nanoTime());
            }

            @Override
            public void notify(LeaseMachine.Event event) {
                events.event(slot.machine.key(), event, slot.election != null);
                deliver(slot, event);
            }
        });
        if (slot.releaseOrphan) {
            slot.releaseOrphan = false;
            run(slot, slot.machine.release(nanoTime()));
            return;
        }
        if (!slot.releasing.isEmpty() && slot.lease == null && slot.machine.token().isEmpty() && !slot.machine.busy()) {
            // Nothing held and nothing in flight: whoever waits for this slot to let go is done.
            slot.releasing.forEach(f -> f.complete(null));
            slot.releasing.clear();
        }
    }

    /**
     * Queues a backend call of the protocol; the calls queued while the protocol thread works go to
     * the I/O executor together when it has done (a task queued behind them), not one by one.
     */
    private void backendCall(Runnable call) {
        if (!batching) {
            io.execute(call);
            return;
        }
        batch.add(call);
        if (flushQueued) {
            return;
        }
        flushQueued = true;
        try {
            scheduler.execute(flushTask);
        } catch (RejectedExecutionException stopped) {
            // The protocol thread is stopping: hand the call over now rather than never.
            flushQueued = false;
            batch.flush();
        }
    }

    private void flushBatch() {
        flushQueued = false;
        batch.flush();
        checkStalledLater();
    }

    /**
     * While calls wait for a runner, looks again after {@link IoBatch#STALL_NANOS}: if the runners
     * started none meanwhile (one is stuck in a call that hangs), the flush adds a runner, so the
     * calls behind a hung one do not wait for it, whether or not more calls come.
     */
    private void checkStalledLater() {
        if (checkStalls && !stallCheckArmed && (batch.waiting() || !stallCheckOnlyWhileWaiting)) {
            stallCheckArmed = schedule(this::checkStalled, IoBatch.STALL_NANOS).isPresent();
        }
    }

    private void checkStalled() {
        stallCheckArmed = false;
        batch.flush();
        checkStalledLater();
    }

    /** Tells the machine that request {@code id} leaves now: validity and its timeout count from here. */
    private void sending(Slot slot, long id) {
        long sentAt = nanoTime();
        // Nobody waits for a send: the machine only needs it before the call's answer and its timeout.
        answer(() -> run(slot, slot.machine.onSent(id, sentAt)), true);
    }

    private void doRead(Slot slot, LeaseMachine.Read read) {
        Optional<Versioned<byte[]>> found = Optional.empty();
        BackendException failure = null;
        sending(slot, read.requestId());
        long started = nanoTime();
        try {
            found = backend.read(slot.machine.key());
        } catch (BackendException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = BackendException.internal(slot.machine.key(), "the backend failed unexpectedly: " + e, e);
        }
        events.request(slot.machine.key(), TenureObserver.Operation.READ, failure, nanoTime() - started);
        Optional<Versioned<byte[]>> answer = found;
        BackendException error = failure;
        answer(() -> run(slot, slot.machine.onRead(read.requestId(), nanoTime(), answer, error)), false);
    }

    private void doWrite(Slot slot, LeaseMachine.Write write, TenureObserver.Operation operation) {
        ObjectVersion written = null;
        BackendException failure = null;
        // The send time is taken here, after encoding and after waiting for an I/O thread: as late
        // as it can be while still before the store can apply the write.
        sending(slot, write.requestId());
        long started = nanoTime();
        try {
            written = backend.put(slot.machine.key(), write.bytes(), write.condition());
        } catch (BackendException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = BackendException.transport(slot.machine.key(), true, "the backend failed unexpectedly: " + e, e);
        }
        events.request(slot.machine.key(), operation, failure, nanoTime() - started);
        ObjectVersion answer = written;
        BackendException error = failure;
        // A renewal's answer is awaited by nobody (the lease stays valid until its deadline either
        // way); an acquisition's or a release's is, and wakes the protocol thread at once.
        answer(() -> run(slot, slot.machine.onWrite(write.requestId(), nanoTime(), answer, error)),
                operation == TenureObserver.Operation.RENEW);
    }

    /** Hands an answer back to the protocol thread; after the manager stopped there is nobody to tell. */
    private void post(Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException stopped) {
            LOG.debug("answer dropped: the lease manager has stopped");
        }
    }

    /**
     * Hands a send or an answer of a backend call back to the protocol thread. With {@code soon},
     * within one tick of the timer wheel: when the thread wakes for a timer by then, it is not woken
     * for this (with thousands of leases a timer is due every tick, and a send or a renewal's answer
     * each woke the thread). Nothing the machine decides moves: a send carries its own time, every
     * timer counts from the send, and a renewal's answer only extends validity that counts from
     * the send too; queued tasks run before the timers of the tick the thread wakes for.
     */
    private void answer(Runnable task, boolean soon) {
        try {
            if (soon) {
                scheduler.executeWithin(task, TimerWheel.TICK_NANOS);
            } else {
                scheduler.execute(task);
            }
        } catch (RejectedExecutionException stopped) {
            LOG.debug("answer dropped: the lease manager has stopped");
        }
    }

    private void deliver(Slot slot, LeaseMachine.Event event) {
        if (event instanceof LeaseMachine.Acquired acquired) {
            if (slot.lease == null && slot.acquiring == null && slot.election == null) {
                // Cannot happen: every path that stops waiting (close, an interrupted caller) asks the
                // machine to release first, and the machine never reports an acquisition after that (it
                // releases what lands instead; the simulator checks it). Kept as a guard, loudly: a lease
                // nobody waits for is never handed out or renewed, only released.
                LOG.warn("lease {}: an acquisition was reported with nobody waiting for it; releasing it", slot.machine.key());
                slot.releaseOrphan = true;
                return;
            }
            Lease held = slot.lease;
            // Acquiring a lease already held gives the same handle, so that renewals and release reach it.
            boolean same = held != null && held.fencingToken().equals(acquired.token());
            Lease lease = same ? held : new Lease(this, slot, acquired.token(), acquired.validUntilNanos());
            if (same) {
                lease.extend(acquired.validUntilNanos());
            }
            slot.lease = lease;
            complete(slot, Optional.of(lease));
            LeaderElection election = slot.election;
            if (election != null) {
                callback(() -> election.elected(lease));
            }
        } else if (event instanceof LeaseMachine.NotAcquired notAcquired) {
            CompletableFuture<Optional<Lease>> waiting = slot.acquiring;
            slot.acquiring = null;
            if (waiting != null) {
                if (notAcquired.error().isPresent()) {
                    waiting.completeExceptionally(notAcquired.error().get());
                } else {
                    waiting.complete(Optional.empty());
                }
            }
            LeaderElection election = slot.election;
            if (election != null && notAcquired.error().isPresent()) {
                ElectionFailure failure = electionFailure(slot.machine.key(), election.name(), notAcquired.error().get());
                callback(() -> election.failed(failure));
            }
        } else if (event instanceof LeaseMachine.Renewed renewed) {
            if (slot.lease != null) {
                slot.lease.extend(renewed.validUntilNanos());
            }
            slot.renewing.forEach(f -> f.complete(null));
            slot.renewing.clear();
        } else if (event instanceof LeaseMachine.Revoked revoked) {
            Lease lease = slot.lease;
            slot.lease = null;
            if (lease != null) {
                lease.markLost(revoked.reason(), revoked.detail(), revoked.cause().orElse(null));
            }
            slot.renewing.forEach(f -> f.complete(null));
            slot.renewing.clear();
            LeaderElection election = slot.election;
            if (election != null) {
                Revocation revocation = new Revocation(revoked.token(), revoked.reason(), revoked.detail(), revoked.cause());
                callback(() -> election.revoked(revocation));
            }
        } else if (event instanceof LeaseMachine.Releasing) {
            // Before the release write leaves: no handle may report valid once another node can take the record.
            Lease lease = invalidateBeforeRelease ? slot.lease : null;
            if (invalidateBeforeRelease) {
                slot.lease = null;
            }
            if (lease != null) {
                lease.markLost(RevocationReason.RELEASED, slot.releasingBecause, null);
            }
            LeaderElection election = slot.election;
            if (election != null) {
                // A step-down (or a release of the election's lease): queued before the write leaves; handles are already invalid.
                Revocation revocation = new Revocation(((LeaseMachine.Releasing) event).token(), RevocationReason.RELEASED,
                        slot.releasingBecause, Optional.empty());
                callback(() -> election.revoked(revocation));
            }
        } else if (event instanceof LeaseMachine.Released) {
            Lease lease = slot.lease;
            slot.lease = null;
            if (lease != null) {
                lease.markLost(RevocationReason.RELEASED, "it was released", null);
            }
            slot.releasing.forEach(f -> f.complete(null));
            slot.releasing.clear();
            slot.renewing.forEach(f -> f.complete(null));
            slot.renewing.clear();
        } else if (event instanceof LeaseMachine.Refused refused) {
            LeaderElection election = slot.election;
            if (election != null) {
                ElectionFailure failure = new ElectionFailure.StoreRefused(election.name(), refused.error());
                callback(() -> election.failed(failure));
            }
        } else if (event instanceof LeaseMachine.HolderSeen seen) {
            LeaderElection election = slot.election;
            if (election != null) {
                callback(() -> election.leaderChanged(seen.holder(), seen.released()));
            }
        }
    }

    /** What an election's listener is told when the machine reports an acquisition error. */
    private static ElectionFailure electionFailure(String key, String name, RuntimeException error) {
        if (error instanceof LeaseRecordException corrupt) {
            return new ElectionFailure.CorruptRecord(name, corrupt);
        }
        if (error instanceof BackendException refused) {
            return new ElectionFailure.StoreRefused(name, refused);
        }
        return new ElectionFailure.StoreRefused(name, BackendException.internal(key, "unexpected failure: " + error, error));
    }

    private static void complete(Slot slot, Optional<Lease> result) {
        CompletableFuture<Optional<Lease>> waiting = slot.acquiring;
        slot.acquiring = null;
        if (waiting != null) {
            waiting.complete(result);
        }
    }

    // ---- waiting -------------------------------------------------------------------------------

    static <T> T await(CompletableFuture<T> future, String what) throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw rethrow(e, what);
        }
    }

    private static void awaitOrTimeout(CompletableFuture<?> future, long nanos) throws InterruptedException, TimeoutException {
        try {
            future.get(nanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw rethrow(e, "waiting for the lease protocol");
        }
    }

    static RuntimeException rethrow(ExecutionException e, String what) {
        if (e.getCause() instanceof RuntimeException runtime) {
            return runtime;
        }
        return new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
    }
}
