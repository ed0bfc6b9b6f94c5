package dev.tenure.it.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Secret;
import dev.tenure.backend.http.AtomicHttpBackend;
import dev.tenure.backend.http.HttpBackend;
import dev.tenure.backend.http.HttpSettings;
import dev.tenure.backend.probe.CapabilityProbe;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Exploratory draft. */
class NginxRefusedIT {

    static final String ENDPOINT = "TENURE_HTTP_NGINX_ENDPOINT";
    static final String AUTH_FILE = "TENURE_HTTP_NGINX_AUTH_FILE";

    static HttpSettings.Builder settings() {
        unavailableReason().ifPresent(why -> {
            System.out.println("[skip] " + why);
            Assumptions.abort(why);
        });
        return HttpSettings.builder(URI.create(System.getenv(ENDPOINT)))
                .auth(Secret.fromFile(Path.of(System.getenv(AUTH_FILE))));
    }

    static Optional<String> unavailableReason() {
        if (System.getenv(ENDPOINT) != null && System.getenv(AUTH_FILE) != null) {
            return Optional.empty();
        }
        String why = "no nginx";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must run the HTTP suite, but " + why);
        }
        return Optional.of(why);
    }

    @Test
    void open() {
        try {
            AtomicHttpBackend.open(settings().preconditions(HttpSettings.Preconditions.ENFORCED).build());
            System.out.println("[open] OPENED?!");
        } catch (BackendException e) {
            System.out.println("[open] " + e.kind() + ": " + e.getMessage());
        }
    }

    @Test
    void probe() throws Exception {
        try {
            CapabilityProbe.Report r = AtomicHttpBackend.probe(settings().build(), new CapabilityProbe.Settings(8, 20, 4, 20),
                    v -> System.out.println("[probe] " + v));
        } catch (BackendException e) {
            System.out.println("[probe] " + e.kind() + ": " + e.getMessage());
        }
    }
}
