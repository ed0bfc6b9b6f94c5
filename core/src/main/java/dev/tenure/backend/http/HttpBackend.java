package dev.tenure.backend.http;

import dev.tenure.backend.RemoteBackend;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Snapshot transport over plain HTTP: GET, PUT, HEAD and DELETE under a base URL, and listing by
 * WebDAV {@code PROPFIND} (see {@link HttpSettings.Listing}).
 *
 * <p>Objects live at {@code <base>/<segment>/.../<last segment>.obj}, each segment
 * percent-encoded, so a file-tree server can hold both {@code a} and {@code a/b}. Missing parent
 * collections are made with {@code MKCOL} on demand. This backend promises nothing about
 * concurrent writers; for compare-and-swap use {@link AtomicHttpBackend}, which checks that the
 * server enforces preconditions before it lets anyone rely on them.
 */
public final class HttpBackend implements RemoteBackend {

    private final HttpWire wire;

    private HttpBackend(HttpWire wire) {
        this.wire = wire;
    }

    /** Opens a backend with these settings; no request is sent until the first operation. */
    public static HttpBackend open(HttpSettings settings) {
        return new HttpBackend(new HttpWire(Objects.requireNonNull(settings, "settings")));
    }

    /** Opens a backend from a URI, as {@link HttpSettings#fromUri} reads it. */
    public static HttpBackend open(String uri) {
        return open(HttpSettings.fromUri(uri));
    }

    /** The settings this backend was opened with. */
    public HttpSettings settings() {
        return wire.settings();
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
        wire.objectUrl(key);
        wire.put(key, HttpWire.fileBody(localPath, key), null);
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
