package dev.tenure.lease;

import dev.tenure.lease.protocol.Saturating;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loop around acquire and renew for one lease name: contends until elected, renews while
 * leader, contends again after losing. {@link #isLeader()} checks the lease deadline, so it is
 * cheap enough to call before every guarded action. Closing stops contending and releases the
 * lease if held.
 *
 * <p>Order: every listener callback runs on the manager's callback thread, in order.
 * {@link #isLeader()}, {@link #lease()} and {@link #token()} turn true (present) for the listener's
 * own thread when {@link LeaderListener#onElected} starts, and for every other thread only once it
 * has returned; they turn false (empty) before {@link LeaderListener#onRevoked(Revocation)} is
 * called, and at the lease deadline whatever the callbacks do. So a thread that sees
 * {@code isLeader()} true knows {@code onElected} has run to its end.
 */
public final class LeaderElection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

    /** Where an election stands; see {@link #state()}. */
    public enum State {
        /** Contending, or holding off after a step-down: it will take the lease when it can. */
        CONTENDING,
        /** This node is leader ({@link #isLeader()}). */
        LEADER,
        /** Stopped by itself on an {@link ElectionFailure} that stops elections ({@link #failure()} says which). */
        FAILED,
        /** Closed by its owner (or its manager). */
        CLOSED
    }

    private final LeaseDriver driver;
    private final String name;
    private final LeaderListener listener;
    /** The lease of the current term, published to every thread once onElected has returned. */
    private volatile Lease lease;
    /**
     * The rule that {@link #isLeader()} asks the term's lease (its deadline, a release or a loss).
     * Off only under the driver simulation's mutation {@code LEADER_IGNORES_LEASE}, reached by a
     * private lookup.
     */
    boolean leaderChecksLease = true;
    /** During onElected: the lease, visible only to the thread running it. */
    private volatile Lease delivering;
    private volatile Thread deliveringThread;
    /** Touched only on the callback thread: onElected was told and onRevoked not yet. */
    private Lease told;
    private volatile String leader;
    private volatile boolean closed;
    private volatile ElectionFailure failure;
    private volatile ElectionFailure lastFailure;
    /** Callers of awaitLeadership; guarded by {@code this}. */
    private final List<CompletableFuture<FencingToken>> waiting = new ArrayList<>();

    LeaderElection(LeaseDriver driver, String name, LeaderListener listener) {
        this.driver = driver;
        this.name = name;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The lease name. */
    public String name() {
        return name;
    }

    /**
     * True while this node holds the lease and its deadline has not passed, from the moment
     * {@link LeaderListener#onElected} has returned (on the listener's own thread: from its start).
     */
    public boolean isLeader() {
        Lease current = current();
        return !closed && current != null && (current.isValid() || !leaderChecksLease);
    }

    /** The lease while this node is leader (same visibility as {@link #isLeader()}). */
    public Optional<Lease> lease() {
        Lease current = current();
        return !closed && current != null && current.isValid() ? Optional.of(current) : Optional.empty();
    }

    /** The token of the current term while this node is leader. */
    public Optional<FencingToken> token() {
        return lease().map(Lease::fencingToken);
    }

    /** The holder named by the last record seen (possibly this node), if any was seen. */
    public Optional<String> leader() {
        return Optional.ofNullable(leader);
    }

    /**
     * Why the election stopped by itself, if it did; it does not contend any more then. As in the
     * first API: the {@link LeaseRecordException} of a corrupt record, else the {@link ElectionFailure}
     * (use {@link #lastFailure()} for the typed failure).
     */
    public Optional<RuntimeException> failure() {
        ElectionFailure f = failure;
        return f == null ? Optional.empty() : Optional.of(legacy(f));
    }

    /** What {@link LeaderListener#onStopped} and {@link #failure()} carry: the record's error for a corrupt record. */
    static RuntimeException legacy(ElectionFailure f) {
        return f instanceof ElectionFailure.CorruptRecord && f.getCause() instanceof RuntimeException r ? r : f;
    }

    /** The last failure told to the listener, including those after which the election still contends. */
    public Optional<ElectionFailure> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** Where the election stands now. */
    public State state() {
        if (closed) {
            return State.CLOSED;
        }
        if (failure != null) {
            return State.FAILED;
        }
        return isLeader() ? State.LEADER : State.CONTENDING;
    }

    /** True while the election contends or leads: neither closed nor stopped by a failure. */
    public boolean isContending() {
        State s = state();
        return s == State.CONTENDING || s == State.LEADER;
    }

    /**
     * Waits until this node is leader (as {@link #isLeader()} sees it: {@code onElected} has
     * returned), at most {@code timeout} on the manager's clock (virtual time in tests).
     *
     * <p>A timeout is a plain outcome, not an exception: the result is empty. An interrupted
     * caller also gets empty, with its interrupt flag set again. No checked exception, so it can be
     * called from a lambda. Inside {@code onElected} it returns the new term's token at once; from
     * any other listener callback it would hold the callback thread (and so the next
     * {@code onElected}) until the timeout: use {@link #leadership} there.
     *
     * @return the token of the term, or empty when {@code timeout} passed (or the caller was interrupted)
     * @throws ElectionFailure when the election stopped by itself (now or while waiting)
     * @throws IllegalStateException when the election is closed (now or while waiting)
     */
    public Optional<FencingToken> awaitLeadership(Duration timeout) {
        CompletableFuture<FencingToken> result = leadership(timeout);
        try {
            return Optional.ofNullable(result.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            synchronized (this) {
                waiting.remove(result);
            }
            return Optional.empty();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /**
     * As {@link #awaitLeadership}, without blocking: completes with the token, with {@code null} when
     * {@code timeout} passed, or exceptionally with the {@link ElectionFailure} or an
     * {@link IllegalStateException} when the election stopped or was closed.
     */
    public CompletableFuture<FencingToken> leadership(Duration timeout) {
        long nanos = Saturating.nanos(Objects.requireNonNull(timeout, "timeout"));
        CompletableFuture<FencingToken> result = new CompletableFuture<>();
        synchronized (this) {
            if (!settle(result)) {
                waiting.add(result);
                driver.schedule(() -> {
                    synchronized (this) {
                        waiting.remove(result);
                    }
                    result.complete(null);
                }, nanos).ifPresentOrElse(timer -> result.whenComplete((t, e) -> timer.cancel()), () -> result.complete(null));
            }
        }
        return result;
    }

    /** Completes {@code result} if the answer is known now; with the lock held. */
    private boolean settle(CompletableFuture<FencingToken> result) {
        if (closed) {
            return result.completeExceptionally(new IllegalStateException("election for " + name + " is closed"));
        }
        if (failure != null) {
            return result.completeExceptionally(failure);
        }
        Lease published = current(); // inside onElected, on its own thread, the term being delivered
        if (published != null && published.isValid()) {
            return result.complete(published.fencingToken());
        }
        return false;
    }

    /**
     * Steps down but stays in the election: releases the lease (the record keeps its epoch;
     * {@link #isLeader()} and every handle turn false before the release write leaves, and the
     * listener's {@link LeaderListener#onRevoked(Revocation)} with {@link RevocationReason#RELEASED}
     * is queued then, behind callbacks still running), then contends again,
     * but not before {@code holdOff} has passed, so that another contender can take over. Returns at
     * once; does nothing unless this node is leader when the protocol thread handles it.
     */
    public void stepDown(Duration holdOff) {
        if (closed) {
            return;
        }
        driver.stepDown(name, this, Saturating.nanos(Objects.requireNonNull(holdOff, "holdOff")));
    }

    /** {@link #stepDown(Duration)} with a hold-off of one TTL: every other live contender polls within it. */
    public void stepDown() {
        stepDown(driver.config().ttl());
    }

    /**
     * The health of this election, for a health endpoint: {@link LeaseHealth.Status#LEADER} while
     * this node holds the lease and renews it, {@link LeaseHealth.Status#FOLLOWER} while it contends
     * or follows, {@link LeaseHealth.Status#RENEWALS_FAILING} and {@link LeaseHealth.Status#DEADLINE_CLOSE}
     * while it holds the lease but cannot renew it, {@link LeaseHealth.Status#STOPPED} once closed or
     * stopped by itself ({@link #failure()}). Reads no store. It follows the protocol thread, so it
     * can say {@code LEADER} a moment before {@link LeaderListener#onElected} has run.
     */
    public LeaseHealth health() {
        RuntimeException failed = failure;
        Optional<String> stopped = closed ? Optional.of("the election was closed")
                : failed != null ? Optional.of(dev.tenure.metrics.internal.Redact.text(failed.getMessage())) : Optional.empty();
        return driver.events().health(name, stopped);
    }

    /**
     * Stops contending and releases the lease if held; waits for the release, bounded by twice the
     * request timeout. An acquisition still in flight (its read or write not yet answered) that
     * lands after close is never reported as elected nor renewed: it is released at once. A listener
     * that was leader hears {@link LeaderListener#onRevoked(Revocation)} with
     * {@link RevocationReason#RELEASED} (on the callback thread, after close returns or while it waits).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakeWaiters();
        try {
            driver.stopElection(name, this);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // Called on the callback thread, in order.

    void elected(Lease newLease) {
        if (closed || failure != null) {
            return; // never told after close: the lease is being released
        }
        leader = driver.config().holder();
        told = newLease;
        delivering = newLease;
        deliveringThread = Thread.currentThread();
        try {
            listener.onElected(newLease.fencingToken());
        } catch (RuntimeException e) {
            LOG.warn("leader listener of {} threw from onElected; the election goes on", name, e);
        } finally {
            deliveringThread = null;
            delivering = null;
        }
        lease = newLease;
        wakeWaiters();
        safely(() -> listener.onLeaderChanged(leader));
    }

    void revoked(Revocation revocation) {
        Lease published = lease;
        if (published != null && published.fencingToken().equals(revocation.token())) {
            lease = null;
        }
        if (revocation.released() && Objects.equals(leader, driver.config().holder())) {
            leader = null; // this node's own release: the record names nobody until a contender takes it
        }
        if (told == null || !told.fencingToken().equals(revocation.token())) {
            return; // never elected in this term (or told already): nothing to revoke
        }
        told = null;
        // Also once closed: the listener was told it won this term, so it hears that the term ended
        // (closedByCaller finds nothing left to tell then).
        safely(() -> listener.onRevoked(revocation));
    }

    void leaderChanged(String holder, boolean released) {
        String newLeader = released ? null : holder;
        if (!Objects.equals(newLeader, leader)) {
            leader = newLeader;
            if (!closed && newLeader != null) {
                safely(() -> listener.onLeaderChanged(newLeader));
            }
        }
    }

    void failed(ElectionFailure error) {
        lastFailure = error;
        if (error.stopsElection()) {
            Lease was = told;
            lease = null;
            failure = error;
            wakeWaiters();
            if (was != null && !closed) {
                // Cannot happen today (a corrupt record while leader is a revocation first); kept so the order holds.
                told = null;
                safely(() -> listener.onRevoked(new Revocation(was.fencingToken(), RevocationReason.STORE_REJECTED,
                        error.getMessage(), Optional.of(error))));
            }
        }
        if (!closed) {
            safely(() -> listener.onFailed(error));
        }
    }

    /** The owner closed the election (or its manager): a listener still leader hears that it is not any more. */
    void closedByCaller() {
        closed = true; // also when the manager closed it
        wakeWaiters();
        Lease was = told;
        told = null;
        lease = null;
        if (was != null) {
            safely(() -> listener.onRevoked(new Revocation(was.fencingToken(), RevocationReason.RELEASED, "the election was closed",
                    Optional.empty())));
        }
    }

    private Lease current() {
        Lease published = lease;
        if (published != null) {
            return published;
        }
        return deliveringThread == Thread.currentThread() ? delivering : null;
    }

    private void wakeWaiters() {
        List<CompletableFuture<FencingToken>> due;
        synchronized (this) {
            due = new ArrayList<>();
            for (CompletableFuture<FencingToken> w : waiting) {
                if (settle(w)) {
                    due.add(w);
                }
            }
            waiting.removeAll(due);
        }
    }

    private void safely(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("leader listener of {} threw; the election goes on", name, e);
        }
    }

    @Override
    public String toString() {
        return "LeaderElection[" + name + ", leader " + leader + (isLeader() ? " (this node)" : "") + ", " + state() + "]";
    }
}
