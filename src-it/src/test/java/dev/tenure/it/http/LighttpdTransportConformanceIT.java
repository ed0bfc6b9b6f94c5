package dev.tenure.it.http;

import dev.tenure.backend.conformance.RemoteBackendContract;
import dev.tenure.backend.http.HttpBackend;
import java.util.Optional;

/** The transport half of the suite through the plain {@link HttpBackend}, which claims nothing. */
class LighttpdTransportConformanceIT extends RemoteBackendContract<HttpBackend> {

    @Override
    protected Optional<String> unavailableReason() {
        return HttpTestServer.unavailableReason();
    }

    @Override
    protected HttpBackend newBackend() {
        return HttpBackend.open(HttpTestServer.settings().build());
    }
}
