package dev.tenure.lease.protocol;

import dev.tenure.lease.LeaseConfig;
import java.util.Objects;

/**
 * The stored lease: one small JSON object per lease name, never deleted.
 *
 * @param name the lease name
 * @param holder the holder's id
 * @param epoch the fencing token: rises by one whenever the holder changes, never goes back
 * @param revision rises by one on every write (acquire, renew, release)
 * @param nonce unique per write: resolves ambiguous writes and keeps versions from repeating
 * @param ttlMillis how long contenders must see this exact record unchanged before taking it
 * @param writtenAtMillis the writer's wall clock; informational only, never compared
 * @param released true once the holder let go: anyone may take it at once, with epoch + 1
 */
public record LeaseRecord(String name, String holder, long epoch, long revision, String nonce, long ttlMillis,
        long writtenAtMillis, boolean released) {

    static final String FORMAT = "tenure.lease/1";

    /**
     * The highest epoch: 2^53 - 1, so that every JSON reader (doubles included) reads it exactly.
     * A record at this epoch cannot be taken over (no holder could fence above it).
     */
    static final long MAX_EPOCH = (1L << 53) - 1;

    /** The highest revision, far below overflow. */
    static final long MAX_REVISION = (1L << 62);

    /** The longest TTL a record may carry: 366 days (in nanoseconds it stays far from overflow). */
    static final long MAX_TTL_MILLIS = LeaseConfig.MAX_TTL_MILLIS;

    public LeaseRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(nonce, "nonce");
    }

    /** The record of a holder taking over from this one. */
    LeaseRecord takenOverBy(String newHolder, String newNonce, long ttl, long nowMillis) {
        return new LeaseRecord(name, newHolder, epoch + 1, revision + 1, newNonce, ttl, nowMillis, false);
    }

    /** The record of this holder renewing. */
    LeaseRecord renewed(String newNonce, long nowMillis) {
        return new LeaseRecord(name, holder, epoch, revision + 1, newNonce, ttlMillis, nowMillis, false);
    }

    /** The record of this holder letting go: the epoch stays, so fences downstream keep working. */
    LeaseRecord releasedBy(String newNonce, long nowMillis) {
        return new LeaseRecord(name, holder, epoch, revision + 1, newNonce, ttlMillis, nowMillis, true);
    }
}
