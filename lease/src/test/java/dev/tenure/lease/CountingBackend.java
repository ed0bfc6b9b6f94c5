package dev.tenure.lease;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.ForwardingAtomicBackend;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts the reads and writes a lease sends to the store it wraps (a lease uses no other call). */
final class CountingBackend extends ForwardingAtomicBackend {

    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();

    CountingBackend(AtomicRemoteBackend store) {
        super(store);
    }

    /** The wrapped store. */
    AtomicRemoteBackend delegate() {
        return delegate;
    }

    int total() {
        return reads.get() + writes.get();
    }

    void reset() {
        reads.set(0);
        writes.set(0);
    }

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        reads.incrementAndGet();
        return super.read(key);
    }

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        writes.incrementAndGet();
        return super.put(key, bytes, condition);
    }
}
