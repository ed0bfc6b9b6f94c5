package dev.tenure.backend.http;

import dev.tenure.backend.RemoteBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Snapshot transport over {@link HttpWire}: what both HTTP backends do the same way. */
abstract class AbstractHttpBackend implements RemoteBackend {

    final HttpWire wire;

    AbstractHttpBackend(HttpWire wire) {
        this.wire = wire;
    }

    /** The settings this backend was opened with. */
    public HttpSettings settings() {
        return wire.settings();
    }

    /** The request timeout ({@code requestTimeoutMs}): see {@link RemoteBackend#operationDeadline()}. */
    @Override
    public Optional<Duration> operationDeadline() {
        return Optional.of(wire.settings().requestTimeout());
    }

    @Override
    public String name() {
        return wire.name();
    }

    @Override
    public boolean download(String key, Path localPath) {
        return wire.download(key, localPath);
    }

    @Override
    public void upload(Path localPath, String key) {
        wire.putFile(key, localPath, null);
    }

    @Override
    public boolean exists(String key) {
        return wire.head(key).isPresent();
    }

    @Override
    public void delete(String key) {
        wire.delete(key, null);
    }

    @Override
    public List<String> list(String prefix) {
        return wire.list(prefix);
    }

    @Override
    public String toString() {
        return name();
    }
}
