package dev.tenure.lease;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.lease.testing.VirtualTime;
import dev.tenure.retry.RetryPolicy;
import java.time.Duration;

/**
 * What the tests of writers bound to a lease share: a lease store that can be told to refuse the
 * next renewals (so the lease is revoked with {@code STORE_REJECTED}), and one manager timing for
 * all of them (ttl 10 s, renew every 3 s, request timeout 100 ms) in virtual time.
 */
public final class LeaseLossFixture {

    private LeaseLossFixture() {
    }

    /** The lease's view of a store: refuses every write (403) while {@link #refuse} is set; writers under test use the store directly. */
    public static final class RefusingStore extends ForwardingAtomicBackend {
        public volatile boolean refuse;

        public RefusingStore(AtomicRemoteBackend store) {
            super(store);
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            if (refuse) {
                throw BackendException.auth(key, "403 Forbidden", null);
            }
            return super.put(key, bytes, condition);
        }
    }

    /** A manager for {@code holder} on {@code store}, driven by {@code time}. */
    public static LeaseManager manager(VirtualTime time, AtomicRemoteBackend store, String holder) {
        return time.drive(LeaseManager.builder(store, holder)
                .ttl(Duration.ofSeconds(10)).renewInterval(Duration.ofSeconds(3)).safetyMargin(Duration.ofSeconds(1))
                .skewMargin(Duration.ofMillis(500)).requestTimeout(Duration.ofMillis(100)).retryPolicy(RetryPolicy.tests())).build();
    }
}
