package dev.tenure.lease;

import java.util.Objects;
import java.util.Optional;

/**
 * A loop around acquire and renew for one lease name: contends until elected, renews while
 * leader, contends again after losing. {@link #isLeader()} checks the lease deadline, so it is
 * cheap enough to call before every guarded action. Closing stops contending and releases the
 * lease if held.
 */
public final class LeaderElection implements AutoCloseable {

    private final LeaseDriver driver;
    private final String name;
    private final LeaderListener listener;
    private volatile Lease lease;
    private volatile String leader;
    private volatile boolean closed;
    private volatile RuntimeException failure;

    LeaderElection(LeaseDriver driver, String name, LeaderListener listener) {
        this.driver = driver;
        this.name = name;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The lease name. */
    public String name() {
        return name;
    }

    /** True while this node holds the lease and its deadline has not passed. */
    public boolean isLeader() {
        Lease current = lease;
        return !closed && current != null && current.isValid();
    }

    /** The lease while this node is leader. */
    public Optional<Lease> lease() {
        Lease current = lease;
        return current != null && current.isValid() ? Optional.of(current) : Optional.empty();
    }

    /** The token of the current term while this node is leader. */
    public Optional<FencingToken> token() {
        return lease().map(Lease::fencingToken);
    }

    /** The holder named by the last record seen (possibly this node), if any was seen. */
    public Optional<String> leader() {
        return Optional.ofNullable(leader);
    }

    /** Why the election stopped by itself (a corrupt record), if it did; it does not contend any more then. */
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure);
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
     * lands after close is never reported as elected nor renewed: it is released at once.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            driver.stopElection(name, this);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // Called on the callback thread, in order.

    void elected(Lease newLease) {
        lease = newLease;
        leader = driver.config().holder();
        if (!closed) {
            listener.onElected(newLease.fencingToken());
            listener.onLeaderChanged(leader);
        }
    }

    void revoked(RevocationReason reason) {
        lease = null;
        if (!closed) {
            listener.onRevoked(reason);
        }
    }

    void leaderChanged(String holder, boolean released) {
        String newLeader = released ? null : holder;
        if (!Objects.equals(newLeader, leader)) {
            leader = newLeader;
            if (!closed && newLeader != null) {
                listener.onLeaderChanged(newLeader);
            }
        }
    }

    void failed(RuntimeException error) {
        // A corrupt record (or a misuse): the election cannot go on by itself. Store failures never get here.
        lease = null;
        failure = error;
        if (!closed) {
            listener.onRevoked(RevocationReason.STORE_REJECTED);
            listener.onStopped(error);
        }
    }

    @Override
    public String toString() {
        return "LeaderElection[" + name + ", leader " + leader + (isLeader() ? " (this node)" : "") + "]";
    }
}
