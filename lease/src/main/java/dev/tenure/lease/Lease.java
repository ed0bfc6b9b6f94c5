package dev.tenure.lease;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

/**
 * A held writer lease. {@link #isValid()} is cheap and is the check to make before every guarded
 * action: it compares this node's monotonic clock with the deadline of the last confirmed write
 * ({@code sentAt + ttl - safetyMargin}), not a flag. Closing releases the lease.
 *
 * <p>{@link #whenLost()} tells when the handle stops being valid for any reason but its own
 * deadline passing unnoticed: revoked, released, its manager or election closed. Writers bound to
 * a lease ({@code LedgerWriter.closeWhenLost}, {@code SnapshotWriter.closeWhenLost}) close on it.
 */
public final class Lease implements AutoCloseable {

    private final LeaseDriver driver;
    private final LeaseDriver.Slot slot;
    private final FencingToken token;
    private volatile long validUntilNanos;
    private volatile String lostBecause;
    /** Completed (on the manager's callback thread) once, with the first way the handle ended. */
    private final CompletableFuture<Revocation> lost = new CompletableFuture<>();

    Lease(LeaseDriver driver, LeaseDriver.Slot slot, FencingToken token, long validUntilNanos) {
        this.driver = Objects.requireNonNull(driver);
        this.slot = slot;
        this.token = token;
        this.validUntilNanos = validUntilNanos;
    }

    /** The fencing token: the lease name and the epoch this holder took it at. */
    public FencingToken fencingToken() {
        return token;
    }

    /** True while the lease is held and its deadline has not passed on this node's monotonic clock. */
    public boolean isValid() {
        return lostBecause == null && driver.nanoTime() < validUntilNanos;
    }

    /**
     * Returns normally while the lease is valid.
     *
     * @throws LeaseLostException when it is not, saying why
     */
    public void checkValid() throws LeaseLostException {
        String lost = lostBecause;
        if (lost != null) {
            throw new LeaseLostException(token, lost);
        }
        if (driver.nanoTime() >= validUntilNanos) {
            throw new LeaseLostException(token, "its deadline passed");
        }
    }

    /**
     * As {@link #checkValid()}, unchecked, for callers inside a lambda or callback: returns the token
     * while the lease is valid.
     *
     * @throws IllegalStateException when it is not; its cause is the {@link LeaseLostException} saying why
     */
    public FencingToken requireValid() {
        try {
            checkValid();
            return token;
        } catch (LeaseLostException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Completes once, on the manager's callback thread, when this handle ends: with the
     * {@link Revocation} of a loss (another holder, store unreachable, deadline passed while
     * renewing, store rejected; {@link Revocation#cause()} holds the error), or with reason
     * {@link RevocationReason#RELEASED} when it was released (by {@link #release()}, by closing it,
     * its manager or its election, or by a step-down). Tell the two apart with
     * {@link Revocation#released()}. A lease whose deadline passes with nobody renewing (its
     * manager's thread stopped) completes when the protocol notices, at the deadline timer.
     * Dependent actions run on the callback thread: keep them short, or hand them on.
     */
    public CompletionStage<Revocation> whenLost() {
        return lost.minimalCompletionStage();
    }

    /** The way this handle ended, once it has (see {@link #whenLost()}). */
    public Optional<Revocation> revocation() {
        return Optional.ofNullable(lost.getNow(null));
    }

    /** The monotonic instant (as {@link LeaseClock#nanoTime()}) until which the lease is valid. */
    public long validUntilNanos() {
        return validUntilNanos;
    }

    /**
     * Renews now (one conditional write) and waits for the answer.
     *
     * @throws LeaseLostException when the renewal ends the lease
     */
    public void renew() throws LeaseLostException, InterruptedException, TimeoutException {
        checkValid();
        driver.renew(slot, this);
        checkValid();
    }

    /**
     * Releases the lease (the record keeps its epoch) and waits for the write, at most twice the
     * request timeout; if it returns before the write was confirmed, the write goes on, and an
     * acquisition of the same lease by this manager waits for it to end. Releasing again, or a
     * handle whose lease was lost, does nothing: it never ends a lease taken after this one.
     */
    public void release() throws InterruptedException {
        markLost(RevocationReason.RELEASED, "it was released", null);
        driver.release(slot, this);
    }

    /**
     * As {@link #release()} without waiting: the handle is invalid at once; the future completes
     * when the release write has ended (confirmed or not: after twice the request timeout the
     * record simply expires), never exceptionally.
     */
    public CompletableFuture<Void> releaseAsync() {
        markLost(RevocationReason.RELEASED, "it was released", null);
        return driver.releaseAsync(slot, this);
    }

    /** Same as {@link #release()} (so closing a released handle does nothing); an interruption is kept as the thread's interrupt flag. */
    @Override
    public void close() {
        try {
            release();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void extend(long until) {
        validUntilNanos = until;
    }

    /** Ends the handle (first reason wins): invalid at once, {@link #whenLost()} completes on the callback thread. */
    void markLost(RevocationReason reason, String why, Throwable cause) {
        synchronized (lost) {
            if (lostBecause != null) {
                return;
            }
            lostBecause = reason == RevocationReason.RELEASED ? why : reason + ": " + why;
        }
        Revocation revocation = new Revocation(token, reason, why, Optional.ofNullable(cause));
        driver.callback(() -> lost.complete(revocation));
    }

    @Override
    public String toString() {
        String why = lostBecause;
        return "Lease[" + token + (why != null ? ", lost: " + why : "") + "]";
    }
}
