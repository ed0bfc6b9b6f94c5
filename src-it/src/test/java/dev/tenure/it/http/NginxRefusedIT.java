package dev.tenure.it.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Secret;
import dev.tenure.backend.http.AtomicHttpBackend;
import dev.tenure.backend.http.HttpBackend;
import dev.tenure.backend.http.HttpSettings;
import dev.tenure.backend.probe.CapabilityProbe;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenure refuses a real server that ignores RFC 7232 preconditions: Debian's nginx with its dav
 * module, which never looks at {@code If-Match} or {@code If-None-Match}, started by
 * {@code src-it/httpd/httpd.sh start DIR PORT nginx}. That server has two locations:
 *
 * <ul>
 *   <li>{@code /dav/} ({@value #ENDPOINT}): stock nginx with {@code create_full_put_path on}
 *       (with it off, a PUT under a missing collection answers 500 where lighttpd and Apache
 *       answer 409). Its PUT answers carry no ETag.
 *   <li>{@code /dav-etag/} ({@value #ETAG_ENDPOINT}): the same with a fresh ETag added to every
 *       PUT answer, standing for a server that names a version per write yet ignores
 *       preconditions, so the capability probe gets past "no ETag" to the precondition checks.
 * </ul>
 */
class NginxRefusedIT {

    static final String ENDPOINT = "TENURE_HTTP_NGINX_ENDPOINT";
    static final String AUTH_FILE = "TENURE_HTTP_NGINX_AUTH_FILE";
    static final String ETAG_ENDPOINT = "TENURE_HTTP_NGINX_ETAG_ENDPOINT";

    /** The preconditions nginx ignores, each of which the probe must report as failing. */
    static final List<String> IGNORED = List.of("create-if-absent honoured", "stale if-match refused",
            "conditional delete honoured", "create-if-absent atomic");

    @TempDir
    Path dir;

    @Test
    void openRefusesNginxBecauseItDoesNotEnforcePreconditions() {
        HttpSettings settings = settings(ETAG_ENDPOINT).preconditions(HttpSettings.Preconditions.ENFORCED).build();
        BackendException e = assertThrows(BackendException.class, () -> AtomicHttpBackend.open(settings));
        System.out.println("[nginx open, /dav-etag/] " + e.kind() + ": " + e.getMessage());
        assertEquals(BackendException.Kind.CONFIG, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("does not enforce preconditions"), e.getMessage());
        assertTrue(e.getMessage().contains("create-if-absent honoured"), e.getMessage());
    }

    @Test
    void probeReportsEachIgnoredPreconditionAsFailing() throws InterruptedException {
        List<CapabilityProbe.Verdict> seen = new ArrayList<>();
        CapabilityProbe.Report report = AtomicHttpBackend.probe(settings(ETAG_ENDPOINT).build(),
                new CapabilityProbe.Settings(8, 20, 4, 20), v -> {
                    System.out.println("[nginx probe] " + v.guarantee() + " " + v.outcome() + ": " + v.detail());
                    seen.add(v);
                });
        assertEquals(seen, report.verdicts());
        assertFalse(report.passed(), report.toString());
        Map<String, CapabilityProbe.Outcome> outcomes = report.verdicts().stream()
                .collect(Collectors.toMap(CapabilityProbe.Verdict::guarantee, CapabilityProbe.Verdict::outcome));
        for (String guarantee : IGNORED) {
            assertEquals(CapabilityProbe.Outcome.FAILS, outcomes.get(guarantee), guarantee + " in " + report);
        }
    }

    /** Stock nginx never gets as far as a precondition check: its PUT answers carry no ETag. */
    @Test
    void openRefusesStockNginxBecauseItsPutAnswersCarryNoEtag() {
        HttpSettings settings = settings(ENDPOINT).preconditions(HttpSettings.Preconditions.ENFORCED).build();
        BackendException e = assertThrows(BackendException.class, () -> AtomicHttpBackend.open(settings));
        System.out.println("[nginx open, /dav/] " + e.kind() + ": " + e.getMessage());
        assertEquals(BackendException.Kind.CONFIG, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("answered without an ETag"), e.getMessage());
    }

    /** Snapshot transport works on stock nginx: nested keys round-trip and list. */
    @Test
    void plainHttpBackendRoundTripsOnStockNginx() throws Exception {
        String id = "rt-" + UUID.randomUUID();
        roundTrip(HttpBackend.open(settings(ENDPOINT).build()), List.of(id + "/a/b", id + "/a/c", id + "/top", id + "-flat"), id);
    }

    private void roundTrip(HttpBackend backend, List<String> keys, String prefix) throws Exception {
        for (String key : keys) {
            Path file = Files.writeString(dir.resolve("up"), "body of " + key);
            backend.upload(file, key);
        }
        List<String> listed = backend.list(prefix);
        System.out.println("[nginx list " + backend.name() + " " + prefix + "] " + listed);
        assertEquals(keys.stream().sorted().toList(), listed);
        for (String key : keys) {
            assertTrue(backend.exists(key), key);
            Path got = dir.resolve("down");
            assertTrue(backend.download(key, got), key);
            assertEquals("body of " + key, Files.readString(got, StandardCharsets.UTF_8));
        }
        for (String key : keys) {
            backend.delete(key);
            assertFalse(backend.exists(key), key);
            assertFalse(backend.download(key, dir.resolve("gone")), key);
        }
        assertEquals(List.of(), backend.list(prefix));
        backend.delete(keys.get(0));
    }

    // ---- where the nginx server is: the same rules as HttpTestServer -------------------------------

    /** Settings for one of nginx's locations; skips (or fails in CI) when the server is missing. */
    static HttpSettings.Builder settings(String endpointVariable) {
        unavailableReason(endpointVariable).ifPresent(why -> {
            System.out.println("[skip] " + why);
            Assumptions.abort(why);
        });
        return HttpSettings.builder(URI.create(System.getenv(endpointVariable)))
                .auth(Secret.fromFile(Path.of(System.getenv(AUTH_FILE))));
    }

    /** Why nginx cannot be tested here; in CI its absence is a failure, never a skip. */
    static Optional<String> unavailableReason(String endpointVariable) {
        if (System.getenv(endpointVariable) != null && System.getenv(AUTH_FILE) != null) {
            return Optional.empty();
        }
        String why = "no nginx WebDAV server to test against: " + endpointVariable + " and " + AUTH_FILE + " are not set"
                + " (run: src-it/httpd/httpd.sh install && src-it/httpd/httpd.sh start /tmp/nginx 18081 nginx"
                + " && . /tmp/nginx/env)";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must run the HTTP suite, but " + why);
        }
        return Optional.of(why);
    }
}
