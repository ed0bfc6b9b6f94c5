package dev.tenure.lease;

import java.util.Comparator;
import java.util.Objects;

/**
 * Proof of holding a lease at some epoch. Downstream systems keep the highest token they have
 * seen per lease name and refuse anything lower: a stale writer whose lease expired while it was
 * paused carries a lower epoch than the new holder.
 *
 * @param name the lease name
 * @param epoch rises by one whenever the holder changes; never reset
 */
public record FencingToken(String name, long epoch) implements Comparable<FencingToken> {

    private static final Comparator<FencingToken> ORDER =
            Comparator.comparing(FencingToken::name).thenComparingLong(FencingToken::epoch);

    /** Rejects a null name or an epoch below 1. */
    public FencingToken {
        Objects.requireNonNull(name, "name");
        if (epoch < 1) {
            throw new IllegalArgumentException("epochs start at 1, not " + epoch);
        }
    }

    @Override
    public int compareTo(FencingToken other) {
        return ORDER.compare(this, other);
    }

    /** True when this token is newer than {@code other} for the same lease. */
    public boolean supersedes(FencingToken other) {
        if (!name.equals(other.name)) {
            throw new IllegalArgumentException("tokens of different leases do not compare: " + name + " vs " + other.name);
        }
        return epoch > other.epoch;
    }

    @Override
    public String toString() {
        return name + "@" + epoch;
    }
}
