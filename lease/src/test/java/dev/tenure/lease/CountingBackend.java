package dev.tenure.lease;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts the requests a lease sends to the store it wraps. */
final class CountingBackend implements AtomicRemoteBackend {

    final AtomicRemoteBackend store;
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger others = new AtomicInteger();

    CountingBackend(AtomicRemoteBackend store) {
        this.store = store;
    }

    int total() {
        return reads.get() + writes.get() + others.get();
    }

    void reset() {
        reads.set(0);
        writes.set(0);
        others.set(0);
    }

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        reads.incrementAndGet();
        return store.read(key);
    }

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        writes.incrementAndGet();
        return store.put(key, bytes, condition);
    }

    @Override
    public Optional<ObjectVersion> objectVersion(String key) {
        others.incrementAndGet();
        return store.objectVersion(key);
    }

    @Override
    public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
        others.incrementAndGet();
        return store.uploadConditional(localPath, key, condition);
    }

    @Override
    public void deleteConditional(String key, ConditionalDelete condition) {
        others.incrementAndGet();
        store.deleteConditional(key, condition);
    }

    @Override
    public String name() {
        return "counting(" + store.name() + ")";
    }

    @Override
    public boolean download(String key, Path localPath) {
        others.incrementAndGet();
        return store.download(key, localPath);
    }

    @Override
    public void upload(Path localPath, String key) {
        others.incrementAndGet();
        store.upload(localPath, key);
    }

    @Override
    public boolean exists(String key) {
        others.incrementAndGet();
        return store.exists(key);
    }

    @Override
    public void delete(String key) {
        others.incrementAndGet();
        store.delete(key);
    }

    @Override
    public List<String> list(String prefix) {
        others.incrementAndGet();
        return store.list(prefix);
    }
}
