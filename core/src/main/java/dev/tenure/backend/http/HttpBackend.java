package dev.tenure.backend.http;

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
public final class HttpBackend extends AbstractHttpBackend {

    private HttpBackend(HttpWire wire) {
        super(wire);
    }

    /** Opens a backend with these settings; no request is sent until the first operation. */
    public static HttpBackend open(HttpSettings settings) {
        return new HttpBackend(new HttpWire(Objects.requireNonNull(settings, "settings")));
    }

    /** Opens a backend from a URI, as {@link HttpSettings#fromUri} reads it. */
    public static HttpBackend open(String uri) {
        return open(HttpSettings.fromUri(uri));
    }
}
