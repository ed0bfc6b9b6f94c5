package dev.tenure.it.http;

import dev.tenure.backend.conformance.AtomicRemoteBackendContract;
import dev.tenure.backend.http.AtomicHttpBackend;
import dev.tenure.backend.http.HttpSettings;
import java.util.Optional;

/**
 * The whole conformance suite, contention races included, against Debian's lighttpd with
 * mod_webdav: the HTTP server here whose preconditions were measured to hold under concurrency
 * (see {@code docs/backends.md}). Every backend is opened through {@link AtomicHttpBackend#open},
 * so the open-time probe runs against the real server too.
 */
class LighttpdConformanceIT extends AtomicRemoteBackendContract<AtomicHttpBackend> {

    @Override
    protected Optional<String> unavailableReason() {
        return HttpTestServer.unavailableReason();
    }

    @Override
    protected AtomicHttpBackend newBackend() {
        return AtomicHttpBackend.open(HttpTestServer.settings().preconditions(HttpSettings.Preconditions.ENFORCED).build());
    }
}
