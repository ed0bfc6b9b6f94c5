package dev.tenure.lease;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.lease.LeaseMachine.Command;
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
 * thread; listener callbacks run on the callback executor, in order.
 *
 * <p>A machine that is still letting go of a lease (its release write, or the release of a lease
 * that lapsed, is in flight) answers a new acquisition with NotAcquired and does not contend: one
 * lease lifetime at a time. So an acquisition or election asked for in that state is <em>parked</em>
 * and started as soon as the machine has settled; an acquisition gives up at its own deadline
 * ({@code tryAcquire}: twice the request timeout) if the release has not ended by then.
 *
 * <p>An acquisition that lands when nobody waits for it any more (the manager closed, or the
 * election that started it was closed, while its read or write was in flight) is never handed out
 * nor renewed: it is released at once by a conditional write of {@code released=true}. Closing
 * fails every acquisition still pending with {@link IllegalStateException} at once, and waits
 * (bounded) for the acquisitions in flight to settle and for their releases.
 */
final class LeaseDriver {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseDriver.class);

    /** One lease name's machine and the API calls waiting on it. Touched only on the scheduler thread. */
    static final class Slot {
        final LeaseMachine machine;
        CompletableFuture<Optional<Lease>> acquiring;
        /** An acquisition or election waiting for the machine to finish letting go of a lease. */
        Parked parked;
        final List<CompletableFuture<Void>> renewing = new ArrayList<>();
        final List<CompletableFuture<Void>> releasing = new ArrayList<>();
        Lease lease;
        LeaderElection election;
        /** An acquisition landed with nobody waiting for it: release it once the current commands have run. */
        boolean releaseOrphan;

        Slot(LeaseMachine machine) {
            this.machine = machine;
        }
    }

    /**
     * A request that arrived while the machine was still letting go: an acquisition ({@code result}
     * set) or an election ({@code election} set). {@code giveUp} is the timer that ends an
     * acquisition at its deadline if it is still parked then.
     */
    private static final class Parked {
        final CompletableFuture<Optional<Lease>> result;
        final LeaderElection election;
        final LeaseMachine.Mode mode;
        final long deadline;
        LeaseScheduler.Cancellable giveUp;

        Parked(CompletableFuture<Optional<Lease>> result, LeaderElection election, LeaseMachine.Mode mode, long deadline) {
            this.result = result;
            this.election = election;
            this.mode = mode;
            this.deadline = deadline;
        }
    }

    private final AtomicRemoteBackend backend;
    private final LeaseConfig config;
    private final LeaseScheduler scheduler;
    private final Executor io;
    private final Executor callbacks;
    private final RandomGenerator random;
    private final Map<String, Slot> slots = new HashMap<>();
    /** Set on the protocol thread when the manager starts closing: no acquisition or election starts after it. */
    private boolean closed;
    /** Every acquisition future not yet completed, so that closing can fail those a stopped protocol thread dropped. */
    private final Set<CompletableFuture<Optional<Lease>>> pending = ConcurrentHashMap.newKeySet();

    LeaseDriver(AtomicRemoteBackend backend, LeaseConfig config, LeaseScheduler scheduler, Executor io, Executor callbacks,
            RandomGenerator random) {
        this.backend = backend;
        this.config = config;
        this.scheduler = scheduler;
        this.io = io;
        this.callbacks = callbacks;
        this.random = random;
    }

    long nanoTime() {
        return config.clock().nanoTime();
    }

    LeaseConfig config() {
        return config;
    }

    // ---- API entry points (any thread) ---------------------------------------------------------

    /**
     * Starts an acquisition. While this manager is still letting go of the lease (see the class
     * comment) it waits for that first: until {@code deadline} for {@link LeaseMachine.Mode#UNTIL_DEADLINE},
     * twice the request timeout for {@link LeaseMachine.Mode#ONCE}; if the release has not ended by
     * then the result is empty.
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

    private void startAcquire(String name, LeaseMachine.Mode mode, long deadline, CompletableFuture<Optional<Lease>> result) {
        if (closed) {
            result.completeExceptionally(closedWhileAcquiring(name));
            return;
        }
        Slot slot = slot(name);
        if (slot.election != null || (slot.parked != null && slot.parked.election != null)) {
            result.completeExceptionally(new IllegalStateException("lease " + name + " is held by an election of this manager"));
            return;
        }
        if (slot.acquiring != null || slot.parked != null) {
            result.completeExceptionally(new IllegalStateException("lease " + name + " is already being acquired"));
            return;
        }
        if (settling(slot)) {
            long giveUpAt = mode == LeaseMachine.Mode.UNTIL_DEADLINE ? deadline
                    : mode == LeaseMachine.Mode.ONCE ? nanoTime() + 2 * config.requestTimeout().toNanos() : Long.MAX_VALUE;
            park(slot, new Parked(result, null, mode, deadline), giveUpAt);
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

    /** Starts an election; while this manager is still letting go of the lease, it starts when that ends. */
    void elect(String name, LeaderElection election) {
        Runnable start = () -> {
            if (closed) {
                election.failed(new IllegalStateException("lease manager of " + config.holder() + " is closed"));
                return;
            }
            Slot slot = slot(name);
            if (slot.election != null || slot.acquiring != null || slot.parked != null) {
                election.failed(new IllegalStateException("lease " + name + " is already in use by this manager"));
                return;
            }
            if (settling(slot)) {
                park(slot, new Parked(null, election, LeaseMachine.Mode.FOREVER, Long.MAX_VALUE), Long.MAX_VALUE);
                return;
            }
            if (slot.lease != null) {
                election.failed(new IllegalStateException("lease " + name + " is already in use by this manager"));
                return;
            }
            slot.election = election;
            run(slot, slot.machine.acquire(nanoTime(), LeaseMachine.Mode.FOREVER, Long.MAX_VALUE));
        };
        try {
            scheduler.execute(start);
        } catch (RejectedExecutionException stopped) {
            election.failed(new IllegalStateException("lease manager of " + config.holder() + " is closed"));
        }
    }

    void stopElection(String name, LeaderElection election) throws InterruptedException {
        awaitBounded(beginStopElection(name, election), name);
    }

    private CompletableFuture<Void> beginStopElection(String name, LeaderElection election) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        scheduler.execute(() -> {
            Slot slot = slots.get(name);
            if (slot != null && slot.parked != null && slot.parked.election == election) {
                unpark(slot);
                done.complete(null);
                return;
            }
            if (slot == null || slot.election != election) {
                done.complete(null);
                return;
            }
            slot.election = null;
            run(slot, slot.machine.stopContending());
            if (slot.lease != null) {
                slot.lease.markLost("the election was closed");
            }
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
        awaitBounded(beginRelease(slot, lease), slot.machine.key());
    }

    /**
     * Releases {@code lease}, or with {@code null} (the manager closing) whatever the slot holds or
     * is acquiring: a pending acquisition (parked behind an earlier release, or in flight) then ends
     * at once with {@link IllegalStateException}, and one that lands later is released. Done when
     * nothing is held or in flight any more.
     */
    private CompletableFuture<Void> beginRelease(Slot slot, Lease lease) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        scheduler.execute(() -> {
            if (lease != null && slot.lease != lease) {
                // A handle released before (or lost): the slot may hold a newer lease, which is not this handle's to end.
                done.complete(null);
                return;
            }
            if (lease == null && slot.parked != null) {
                Parked parked = unpark(slot);
                if (parked.result != null) {
                    parked.result.completeExceptionally(closedWhileAcquiring(slot.machine.key()));
                }
            }
            if (lease == null && slot.acquiring != null) {
                CompletableFuture<Optional<Lease>> waiting = slot.acquiring;
                slot.acquiring = null;
                waiting.completeExceptionally(closedWhileAcquiring(slot.machine.key()));
            }
            if (slot.lease == null && slot.machine.token().isEmpty() && !slot.machine.busy()) {
                run(slot, slot.machine.release(nanoTime())); // stops waiting to contend, if it was
                done.complete(null);
                return;
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

    private void run(Slot slot, List<Command> commands) {
        for (Command c : commands) {
            if (c instanceof LeaseMachine.Read read) {
                io.execute(() -> doRead(slot, read));
            } else if (c instanceof LeaseMachine.Write write) {
                io.execute(() -> doWrite(slot, write));
            } else if (c instanceof LeaseMachine.Delete delete) {
                throw new IllegalStateException("delete-on-release is a simulator mutation, never configured here: " + delete);
            } else if (c instanceof LeaseMachine.SetTimer timer) {
                scheduler.schedule(() -> run(slot, slot.machine.onTimer(timer.timer(), timer.token(), nanoTime())),
                        timer.atNanos() - nanoTime());
            } else if (c instanceof LeaseMachine.Notify notify) {
                deliver(slot, notify.event());
            }
        }
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
        if (slot.parked != null && !settling(slot)) {
            startParked(slot);
        }
    }

    /**
     * True while the machine is still letting go of a lease, when it would answer an acquisition
     * with NotAcquired (naming this holder) and not contend: it holds a lease that is no longer
     * valid (its release write, or the release of a lapsed lease, is in flight), or it is finishing
     * an acquisition that nobody waits for any more (asked to let go while its write was in flight).
     */
    private boolean settling(Slot slot) {
        LeaseMachine machine = slot.machine;
        if (machine.token().isPresent()) {
            return !machine.isValid(nanoTime());
        }
        boolean unattended = slot.parked != null || (slot.acquiring == null && slot.election == null);
        return unattended && machine.busy();
    }

    private void park(Slot slot, Parked parked, long giveUpAt) {
        slot.parked = parked;
        if (giveUpAt != Long.MAX_VALUE) {
            parked.giveUp = scheduler.schedule(() -> {
                if (slot.parked == parked) {
                    unpark(slot);
                    parked.result.complete(Optional.empty());
                }
            }, giveUpAt - nanoTime());
        }
    }

    private Parked unpark(Slot slot) {
        Parked parked = slot.parked;
        slot.parked = null;
        if (parked.giveUp != null) {
            parked.giveUp.cancel();
        }
        return parked;
    }

    private void startParked(Slot slot) {
        Parked parked = unpark(slot);
        if (parked.election != null) {
            slot.election = parked.election;
        } else {
            slot.acquiring = parked.result;
        }
        run(slot, slot.machine.acquire(nanoTime(), parked.mode, parked.deadline));
    }

    private void doRead(Slot slot, LeaseMachine.Read read) {
        Optional<Versioned<byte[]>> found = Optional.empty();
        BackendException failure = null;
        try {
            found = backend.read(slot.machine.key());
        } catch (BackendException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = BackendException.internal(slot.machine.key(), "the backend failed unexpectedly: " + e, e);
        }
        Optional<Versioned<byte[]>> answer = found;
        BackendException error = failure;
        post(() -> run(slot, slot.machine.onRead(read.requestId(), nanoTime(), answer, error)));
    }

    private void doWrite(Slot slot, LeaseMachine.Write write) {
        ObjectVersion written = null;
        BackendException failure = null;
        try {
            written = backend.put(slot.machine.key(), write.bytes(), write.condition());
        } catch (BackendException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = BackendException.transport(slot.machine.key(), true, "the backend failed unexpectedly: " + e, e);
        }
        ObjectVersion answer = written;
        BackendException error = failure;
        post(() -> run(slot, slot.machine.onWrite(write.requestId(), nanoTime(), answer, error)));
    }

    /** Hands an answer back to the protocol thread; after the manager stopped there is nobody to tell. */
    private void post(Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException stopped) {
            LOG.debug("answer dropped: the lease manager has stopped");
        }
    }

    private void deliver(Slot slot, LeaseMachine.Event event) {
        if (event instanceof LeaseMachine.Acquired acquired) {
            if (slot.lease == null && slot.acquiring == null && slot.election == null) {
                // Landed after everyone who asked for it stopped waiting (closed): never hand it out or
                // renew it; release it (conditional write of released=true) once these commands have run.
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
                callbacks.execute(() -> election.elected(lease));
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
                RuntimeException error = notAcquired.error().get();
                callbacks.execute(() -> election.failed(error));
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
                lease.markLost(revoked.reason() + ": " + revoked.detail());
            }
            slot.renewing.forEach(f -> f.complete(null));
            slot.renewing.clear();
            LeaderElection election = slot.election;
            if (election != null) {
                callbacks.execute(() -> election.revoked(revoked.reason()));
            }
        } else if (event instanceof LeaseMachine.Released) {
            Lease lease = slot.lease;
            slot.lease = null;
            if (lease != null) {
                lease.markLost("it was released");
            }
            slot.releasing.forEach(f -> f.complete(null));
            slot.releasing.clear();
            slot.renewing.forEach(f -> f.complete(null));
            slot.renewing.clear();
        } else if (event instanceof LeaseMachine.HolderSeen seen) {
            LeaderElection election = slot.election;
            if (election != null) {
                callbacks.execute(() -> election.leaderChanged(seen.holder(), seen.released()));
            }
        }
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
