package dev.tenure.lease;

import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * A held writer lease. {@link #isValid()} is cheap and is the check to make before every guarded
 * action: it compares this node's monotonic clock with the deadline of the last confirmed write
 * ({@code sentAt + ttl - safetyMargin}), not a flag. Closing releases the lease.
 */
public final class Lease implements AutoCloseable {

    private final LeaseDriver driver;
    private final LeaseDriver.Slot slot;
    private final FencingToken token;
    private volatile long validUntilNanos;
    private volatile String lostBecause;

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
        markLost("it was released");
        driver.release(slot, this);
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

    void markLost(String why) {
        if (lostBecause == null) {
            lostBecause = why;
        }
    }

    @Override
    public String toString() {
        return "Lease[" + token + (lostBecause != null ? ", lost: " + lostBecause : "") + "]";
    }
}
