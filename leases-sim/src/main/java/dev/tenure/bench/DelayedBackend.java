package dev.tenure.bench;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Adds a fixed round-trip latency to the requests a ledger makes (reads, writes, existence
 * checks) and counts them: a stand-in for a remote store in benchmarks.
 */
final class DelayedBackend extends ForwardingAtomicBackend {

    private final long delayNanos;
    final AtomicLong requests = new AtomicLong();

    DelayedBackend(AtomicRemoteBackend store, Duration delay) {
        super(store);
        this.delayNanos = delay.toNanos();
    }

    private void roundTrip() {
        requests.incrementAndGet();
        long until = System.nanoTime() + delayNanos;
        for (long left = delayNanos; left > 0; left = until - System.nanoTime()) {
            LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }

    @Override
    public String name() {
        return super.name() + " + " + delayNanos / 1_000_000 + " ms";
    }

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        roundTrip();
        return super.read(key);
    }

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        roundTrip();
        return super.put(key, bytes, condition);
    }

    @Override
    public boolean exists(String key) {
        roundTrip();
        return super.exists(key);
    }
}
