package dev.tenure.bench;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Adds a fixed round-trip latency to every request and counts requests: a stand-in for a remote
 * store in benchmarks, where the latency is the thing being measured around.
 */
final class DelayedBackend implements AtomicRemoteBackend {

    private final AtomicRemoteBackend store;
    private final long delayNanos;
    final AtomicLong requests = new AtomicLong();

    DelayedBackend(AtomicRemoteBackend store, Duration delay) {
        this.store = store;
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
        return store.name() + " + " + delayNanos / 1_000_000 + " ms";
    }

    @Override
    public Optional<ObjectVersion> objectVersion(String key) {
        roundTrip();
        return store.objectVersion(key);
    }

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        roundTrip();
        return store.read(key);
    }

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        roundTrip();
        return store.put(key, bytes, condition);
    }

    @Override
    public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
        roundTrip();
        return store.uploadConditional(localPath, key, condition);
    }

    @Override
    public void deleteConditional(String key, ConditionalDelete condition) {
        roundTrip();
        store.deleteConditional(key, condition);
    }

    @Override
    public boolean download(String key, Path localPath) {
        roundTrip();
        return store.download(key, localPath);
    }

    @Override
    public void upload(Path localPath, String key) {
        roundTrip();
        store.upload(localPath, key);
    }

    @Override
    public boolean exists(String key) {
        roundTrip();
        return store.exists(key);
    }

    @Override
    public void delete(String key) {
        roundTrip();
        store.delete(key);
    }

    @Override
    public List<String> list(String prefix) {
        roundTrip();
        return store.list(prefix);
    }

    @Override
    public void close() {
        store.close();
    }
}
