package dev.tenure.it.http;

import dev.tenure.backend.Secret;
import dev.tenure.backend.http.HttpSettings;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/** Where the integration tests find lighttpd with mod_webdav, started by {@code src-it/httpd/httpd.sh}. */
final class HttpTestServer {

    private HttpTestServer() {
    }

    /** Settings for the server, claiming preconditions or not; skips (or fails in CI) when it is missing. */
    static HttpSettings.Builder settings() {
        unavailableReason().ifPresent(why -> {
            System.out.println("[skip] " + why);
            Assumptions.abort(why);
        });
        return HttpSettings.builder(URI.create(System.getenv("TENURE_HTTP_ENDPOINT")))
                .auth(Secret.fromFile(Path.of(System.getenv("TENURE_HTTP_AUTH_FILE"))));
    }

    /** Why the server cannot be tested here; in CI its absence is a failure, never a skip. */
    static Optional<String> unavailableReason() {
        if (System.getenv("TENURE_HTTP_ENDPOINT") != null && System.getenv("TENURE_HTTP_AUTH_FILE") != null) {
            return Optional.empty();
        }
        String why = "no WebDAV server to test against: TENURE_HTTP_ENDPOINT and TENURE_HTTP_AUTH_FILE are not set"
                + " (run: src-it/httpd/httpd.sh install && src-it/httpd/httpd.sh start /tmp/httpd && . /tmp/httpd/env)";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must run the HTTP suite, but " + why);
        }
        return Optional.of(why);
    }
}
