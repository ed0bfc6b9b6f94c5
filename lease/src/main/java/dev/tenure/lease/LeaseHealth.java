package dev.tenure.lease;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The health of one lease or election of a {@link LeaseManager}, for a framework's health
 * endpoint: read it with {@link LeaderElection#health()} or, for every lease at once,
 * {@link LeaseManager#health()}. Computed when asked, from what the lease protocol last reported and
 * this node's monotonic clock; reading it costs no request.
 *
 * @param name the lease name
 * @param status what the lease is doing
 * @param token the fencing token while this node holds the lease
 * @param timeLeft while this node holds the lease: how long until its deadline (zero once passed)
 * @param problem the last failure, when the status is not healthy: a renewal's error, or why the election stopped
 */
public record LeaseHealth(String name, Status status, Optional<FencingToken> token, Optional<Duration> timeLeft,
        Optional<String> problem) {

    /** What a lease is doing, from best to worst: the order is the severity, so the worst of several is the largest. */
    public enum Status {
        /** Not held by this node: contending, following another leader, or idle. Healthy. */
        FOLLOWER,
        /** Held by this node (for an election: it is the leader), and renewals succeed. Healthy. */
        LEADER,
        /** Held, but the last renewal attempt failed; retries go on and the deadline is not close yet. */
        RENEWALS_FAILING,
        /**
         * Held, but no renewal was confirmed for {@code renewInterval + requestTimeout} since the last
         * confirmed write: a healthy renewal would have landed by now, and leadership ends at the
         * deadline unless one lands first.
         */
        DEADLINE_CLOSE,
        /** The election was closed, stopped on an error it cannot get past, or the manager was closed. */
        STOPPED;

        /** True for {@link #FOLLOWER} and {@link #LEADER}. */
        public boolean healthy() {
            return this == FOLLOWER || this == LEADER;
        }
    }

    /** Rejects nulls. */
    public LeaseHealth {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(timeLeft, "timeLeft");
        Objects.requireNonNull(problem, "problem");
    }

    /** True when the status is healthy ({@link Status#healthy()}). */
    public boolean healthy() {
        return status.healthy();
    }
}
