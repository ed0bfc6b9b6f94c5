package dev.tenure.lease;

import dev.tenure.retry.RetryPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * The numbers of one lease manager, checked once: a configuration that cannot be safe is refused.
 *
 * @param keyPrefix where records live ({@code leases/})
 * @param holder this node's id, written into records
 * @param ttl how long a record stays valid without renewal; contenders use the TTL in the record
 * @param renewInterval time between renewals
 * @param safetyMargin the holder stops acting this long before {@code sentAt + ttl}
 * @param skewMargin contenders wait this much beyond the TTL (bounded clock-rate drift)
 * @param requestTimeout an answer later than this counts as lost (and a write as ambiguous)
 * @param retry backoff for transport failures
 * @param clock the clocks
 */
public record LeaseConfig(String keyPrefix, String holder, Duration ttl, Duration renewInterval, Duration safetyMargin,
        Duration skewMargin, Duration requestTimeout, RetryPolicy retry, LeaseClock clock) {

    /** The longest TTL a record may carry (366 days): longer deadlines overflow the monotonic clock's range. */
    public static final long MAX_TTL_MILLIS = 366L * 24 * 3600 * 1000;

    /** Checks every number; an unsafe timing is a {@link LeaseConfigurationException} with the numbers. */
    public LeaseConfig {
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(clock, "clock");
        if (holder.isBlank()) {
            throw new LeaseConfigurationException("the holder id must not be blank");
        }
        for (Duration d : new Duration[] {ttl, renewInterval, requestTimeout}) {
            Objects.requireNonNull(d, "durations must be set");
            if (d.isNegative() || d.isZero()) {
                throw new LeaseConfigurationException("ttl, renewInterval and requestTimeout must be positive (ttl " + ms(ttl)
                        + ", renewInterval " + ms(renewInterval) + ", requestTimeout " + ms(requestTimeout) + ")");
            }
        }
        Objects.requireNonNull(safetyMargin, "safetyMargin");
        Objects.requireNonNull(skewMargin, "skewMargin");
        if (safetyMargin.isNegative() || safetyMargin.isZero() || skewMargin.isNegative() || skewMargin.isZero()) {
            // Zero leaves no room for clock-rate drift or a late answer: two holders could overlap.
            throw new LeaseConfigurationException("safetyMargin (" + ms(safetyMargin) + ") and skewMargin (" + ms(skewMargin)
                    + ") must both be positive: the holder must stop before sentAt + ttl, and contenders wait beyond"
                    + " the TTL, to absorb clock-rate drift between nodes");
        }
        if (ttl.toMillis() < 1) {
            throw new LeaseConfigurationException("ttl must be at least 1 ms, not " + ttl);
        }
        if (ttl.toMillis() > MAX_TTL_MILLIS) {
            throw new LeaseConfigurationException("ttl (" + ms(ttl) + ") must be at most " + MAX_TTL_MILLIS
                    + " ms (366 days): longer deadlines overflow the monotonic clock's range");
        }
        Duration usable = ttl.minus(safetyMargin);
        if (renewInterval.plus(requestTimeout).compareTo(usable) >= 0) {
            throw new LeaseConfigurationException("unsafe lease timing: renewInterval (" + ms(renewInterval) + ") + requestTimeout ("
                    + ms(requestTimeout) + ") = " + ms(renewInterval.plus(requestTimeout)) + " must be less than ttl ("
                    + ms(ttl) + ") - safetyMargin (" + ms(safetyMargin) + ") = " + ms(usable)
                    + ", or one slow renewal would outlive the lease");
        }
    }

    private static String ms(Duration d) {
        return d == null ? "unset" : d.toMillis() + " ms";
    }

    long ttlNanos() {
        return ttl.toNanos();
    }
}
