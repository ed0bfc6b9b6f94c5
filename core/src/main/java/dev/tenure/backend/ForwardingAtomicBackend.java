package dev.tenure.backend;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Passes every call to another backend: the base for decorators that count, delay, or (in tests
 * and the simulator) break exactly the calls they care about.
 */
public abstract class ForwardingAtomicBackend implements AtomicRemoteBackend {

    /** The backend calls go to. */
    protected final AtomicRemoteBackend delegate;

    /** Forwards to {@code delegate}. */
    protected ForwardingAtomicBackend(AtomicRemoteBackend delegate) {
        this.delegate = delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Optional<Duration> operationDeadline() {
        return delegate.operationDeadline();
    }

    @Override
    public Optional<ObjectVersion> objectVersion(String key) {
        return delegate.objectVersion(key);
    }

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        return delegate.read(key);
    }

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        return delegate.put(key, bytes, condition);
    }

    @Override
    public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
        return delegate.uploadConditional(localPath, key, condition);
    }

    @Override
    public void deleteConditional(String key, ConditionalDelete condition) {
        delegate.deleteConditional(key, condition);
    }

    @Override
    public boolean download(String key, Path localPath) {
        return delegate.download(key, localPath);
    }

    @Override
    public void upload(Path localPath, String key) {
        delegate.upload(localPath, key);
    }

    @Override
    public boolean exists(String key) {
        return delegate.exists(key);
    }

    @Override
    public void delete(String key) {
        delegate.delete(key);
    }

    @Override
    public List<String> list(String prefix) {
        return delegate.list(prefix);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
