package dev.tenure.backend.http;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.probe.CapabilityProbe;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Compare-and-swap over HTTP, for a server that enforces RFC 7232 preconditions on PUT and
 * DELETE: {@code If-None-Match: *} creates only an absent object and {@code If-Match} writes or
 * deletes only the version named, atomically against every other writer.
 *
 * <p>Nothing in HTTP says a server does this, and many answer 2xx while ignoring the headers. So
 * {@link #open} needs two things: the operator's claim ({@link HttpSettings.Preconditions#ENFORCED})
 * and a passing {@link CapabilityProbe} run against the server at open, which checks each
 * condition and races real threads. Either missing is a CONFIG error saying what the server got
 * wrong.
 *
 * <p>Versions are the server's strong ETags, taken from the PUT's own answer. A weak ETag
 * ({@code W/"..."}) never serves: RFC 7232 §3.1 lets {@code If-Match} match only strongly, and a
 * weak tag may stay the same across different content. A server that answers a PUT without an
 * ETag cannot tell a writer which version it made, and is refused too.
 */
public final class AtomicHttpBackend extends AbstractHttpBackend implements AtomicRemoteBackend {

    /** What the probe at open runs: enough racing to catch a server that checks and then writes. */
    static final CapabilityProbe.Settings OPEN_PROBE = new CapabilityProbe.Settings(8, 6, 4, 6);

    /**
     * Set once the probe at open has passed. Before, a PUT answered without a usable ETag says
     * the server cannot serve (CONFIG); after, it is an applied write of unknown version (ambiguous).
     */
    private volatile boolean accepted;

    private AtomicHttpBackend(HttpWire wire) {
        super(wire);
    }

    /**
     * Opens the backend after checking the server: needs
     * {@code preconditions(ENFORCED)} in the settings and a passing capability probe, which writes
     * and deletes a few objects under {@code tenure-probe/}.
     *
     * @throws BackendException CONFIG when the claim is missing or the server breaks a
     *     precondition, saying which; other kinds when the server cannot be reached or refuses the
     *     credential
     */
    public static AtomicHttpBackend open(HttpSettings settings) {
        Objects.requireNonNull(settings, "settings");
        if (settings.preconditions() != HttpSettings.Preconditions.ENFORCED) {
            throw BackendException.config(null, "http " + settings.baseUrl() + " is not claimed to enforce preconditions:"
                    + " an atomic HTTP backend needs preconditions=enforced (HttpSettings.Preconditions.ENFORCED), and then"
                    + " checks the claim; without it use HttpBackend, which promises nothing about concurrent writers", null);
        }
        AtomicHttpBackend backend = new AtomicHttpBackend(new HttpWire(settings));
        CapabilityProbe.Report report;
        try {
            report = CapabilityProbe.run(backend, OPEN_PROBE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw BackendException.transport(null, false, backend.name() + ": interrupted while checking preconditions", e);
        } catch (BackendException e) {
            throw cannotServe(backend, e);
        }
        if (!report.passed()) {
            String broken = report.verdicts().stream().filter(CapabilityProbe.Verdict::broken)
                    .map(v -> v.guarantee() + ": " + v.detail()).collect(Collectors.joining("; "));
            throw BackendException.config(null, backend.name() + " does not enforce preconditions, so it cannot serve"
                    + " compare-and-swap: " + broken + ". Use HttpBackend (snapshot transport only) or another server", null);
        }
        backend.accepted = true;
        return backend;
    }

    /**
     * Runs the capability probe against the server with {@code probeSettings}, whatever the
     * settings claim, and reports; no backend is handed out. This is how {@code tenure verify}
     * finds out whether a server may be claimed to enforce preconditions.
     *
     * @throws BackendException CONFIG when the server's answers rule compare-and-swap out
     *     (no or weak ETags); other kinds when it cannot be reached or refuses the credential
     */
    public static CapabilityProbe.Report probe(HttpSettings settings, CapabilityProbe.Settings probeSettings,
            Consumer<CapabilityProbe.Verdict> onVerdict) throws InterruptedException {
        AtomicHttpBackend backend = new AtomicHttpBackend(new HttpWire(Objects.requireNonNull(settings, "settings")));
        try {
            return CapabilityProbe.run(backend, probeSettings, onVerdict);
        } catch (BackendException e) {
            throw cannotServe(backend, e);
        }
    }

    private static BackendException cannotServe(AtomicHttpBackend backend, BackendException e) {
        if (e.kind() == BackendException.Kind.CONFIG || e.kind() == BackendException.Kind.INTERNAL) {
            return BackendException.config(e.key().orElse(null), backend.name() + " cannot serve compare-and-swap: "
                    + e.getMessage(), e);
        }
        return e;
    }

    /** Opens the backend from a URI ({@link HttpSettings#fromUri}); it must say {@code preconditions=enforced}. */
    public static AtomicHttpBackend open(String uri) {
        return open(HttpSettings.fromUri(uri));
    }

    @Override
    public Optional<ObjectVersion> objectVersion(String key) {
        return wire.head(key).map(etag -> strong(key, "HEAD", etag));
    }

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        return wire.get(key).map(a -> new Versioned<>(a.body(), strong(key, "GET", a.etag())));
    }

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(condition, "condition");
        return written(key, wire.put(key, HttpRequest.BodyPublishers.ofByteArray(bytes), condition));
    }

    @Override
    public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
        Objects.requireNonNull(condition, "condition");
        return written(key, wire.putFile(key, localPath, condition));
    }

    @Override
    public void deleteConditional(String key, ConditionalDelete condition) {
        Objects.requireNonNull(condition, "condition");
        ConditionalDelete.IfVersion v = (ConditionalDelete.IfVersion) condition;
        wire.delete(key, v.version().token());
    }

    /**
     * The version a successful PUT made. Once the server was accepted, a success without a strong
     * ETag was still applied: the writer only cannot learn its version, so the outcome of its
     * compare-and-swap is unknown to it and the failure is ambiguous (read back), never definite.
     */
    private ObjectVersion written(String key, Optional<String> etag) {
        try {
            return strong(key, "PUT", etag);
        } catch (BackendException e) {
            if (!accepted) {
                throw e;
            }
            throw BackendException.transport(key, true, e.getMessage() + "; the PUT succeeded, so the write was applied"
                    + " but its version is unknown (the write may have been applied; read it back)", e);
        }
    }

    private ObjectVersion strong(String key, String method, Optional<String> etag) {
        if (etag.isEmpty()) {
            throw BackendException.config(key, name() + ": " + method + " of '" + key + "' answered without an ETag, so a"
                    + " writer cannot learn which version it made; compare-and-swap needs a server that sends strong ETags", null);
        }
        String tag = etag.get();
        if (tag.startsWith("W/")) {
            throw BackendException.config(key, name() + ": " + method + " of '" + key + "' answered a weak ETag (" + tag
                    + "); weak ETags never serve for compare-and-swap (RFC 7232 §3.1)", null);
        }
        return ObjectVersion.of(tag);
    }
}
