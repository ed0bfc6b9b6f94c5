package dev.tenure.lease;

import java.util.List;
import java.util.Objects;

/**
 * The health of a {@link LeaseManager}: one entry per lease it holds and per election it runs, and
 * the worst of their statuses ({@link LeaseHealth.Status#FOLLOWER} when there are none,
 * {@link LeaseHealth.Status#STOPPED} once the manager is closed).
 *
 * @param holder the manager's holder id
 * @param status the worst status of {@code leases}
 * @param leases each lease held and each election running, by name
 */
public record LeaseManagerHealth(String holder, LeaseHealth.Status status, List<LeaseHealth> leases) {

    /** Rejects nulls; keeps a copy of {@code leases}. */
    public LeaseManagerHealth {
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(status, "status");
        leases = List.copyOf(leases);
    }

    /** True when the status is healthy ({@link LeaseHealth.Status#healthy()}). */
    public boolean healthy() {
        return status.healthy();
    }
}
