package dev.tenure.backend;

import dev.tenure.backend.azure.AzureBlobBackend;
import dev.tenure.backend.d1.D1Backend;
import dev.tenure.backend.http.AtomicHttpBackend;
import dev.tenure.backend.http.HttpBackend;
import dev.tenure.backend.http.HttpSettings;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.backend.s3.S3Backend;
import dev.tenure.backend.turso.TursoBackend;
import dev.tenure.backend.internal.UriQueries;
import java.nio.file.Path;

/** Opens a backend from a URI, as the command line and configuration files name them. */
public final class BackendUris {

    private BackendUris() {
    }

    /** The URI forms understood, for messages. */
    static final String FORMS = "file:///path/to/dir, mem:, s3://bucket/prefix?endpoint=...&profile=..., "
            + "az://account/container/prefix?endpoint=...&credentialsFile=..., "
            + "http(s)://host/path/?preconditions=enforced, libsql://host?tokenFile=..., d1://account/database?tokenFile=...";

    /**
     * Opens any backend, atomic or not, for snapshot transport. Every form of
     * {@link #openAtomic} is understood, plus the snapshot-transport-only ones:
     * {@code http(s)://...} without a precondition claim ({@link HttpBackend}),
     * {@code libsql://host[:port]?tokenFile=...} ({@link TursoBackend}) and
     * {@code d1://account/database?tokenFile=...} ({@link D1Backend}).
     *
     * @throws BackendException CONFIG for a URI it does not understand, listing the forms
     */
    public static RemoteBackend open(String uri) {
        requirePresent(uri);
        if (isHttp(uri)) {
            HttpSettings settings = HttpSettings.fromUri(uri);
            return settings.preconditions() == HttpSettings.Preconditions.ENFORCED
                    ? AtomicHttpBackend.open(settings) : HttpBackend.open(settings);
        }
        if (uri.startsWith("libsql://")) {
            return TursoBackend.open(uri);
        }
        if (uri.startsWith("d1://")) {
            return D1Backend.open(uri);
        }
        return openAtomic(uri);
    }

    /**
     * Opens an atomic backend:
     * <ul>
     *   <li>{@code file:///absolute/dir} or {@code file:relative/dir}: {@link LocalBackend} (created when missing);</li>
     *   <li>{@code mem:} or {@code mem:name}: a fresh {@link InMemoryBackend};</li>
     *   <li>{@code s3://bucket/prefix?endpoint=...&region=...&profile=...}: {@link S3Backend}, with
     *       credentials from the AWS default chain;</li>
     *   <li>{@code az://account/container/prefix?endpoint=...&credentialsFile=...}: {@link AzureBlobBackend},
     *       with credentials from a connection string file or the environment;</li>
     *   <li>{@code http(s)://host/path/?preconditions=enforced}: {@link AtomicHttpBackend}, after
     *       its probe of the server passes.</li>
     * </ul>
     *
     * @throws BackendException CONFIG for anything else, or for a backend that is not atomic,
     *     saying why
     */
    public static AtomicRemoteBackend openAtomic(String uri) {
        requirePresent(uri);
        if (uri.startsWith("mem:")) {
            return new InMemoryBackend(uri);
        }
        if (uri.startsWith("file://")) {
            return LocalBackend.create(Path.of(uri.substring("file://".length())));
        }
        if (uri.startsWith("file:")) {
            return LocalBackend.create(Path.of(uri.substring("file:".length())));
        }
        if (uri.startsWith("s3://")) {
            return S3Backend.open(uri);
        }
        if (uri.startsWith("az://")) {
            return AzureBlobBackend.open(uri);
        }
        if (isHttp(uri)) {
            HttpSettings settings = HttpSettings.fromUri(uri);
            if (settings.preconditions() != HttpSettings.Preconditions.ENFORCED) {
                throw BackendException.config(null, "'" + UriQueries.redact(uri) + "' is an HTTP server without a"
                        + " precondition claim, which is snapshot transport only; if the server enforces If-Match and"
                        + " If-None-Match on PUT and DELETE, add preconditions=enforced and Tenure will check it", null);
            }
            return AtomicHttpBackend.open(settings);
        }
        if (uri.startsWith("libsql://") || uri.startsWith("d1://")) {
            throw BackendException.config(null, "'" + UriQueries.redact(uri) + "' is snapshot transport only: it cannot"
                    + " compare-and-swap, so it cannot hold a lease, a ledger or a fenced snapshot", null);
        }
        throw BackendException.config(null, "unsupported backend URI '" + UriQueries.redact(uri) + "': use " + FORMS, null);
    }

    private static boolean isHttp(String uri) {
        return uri.startsWith("http://") || uri.startsWith("https://");
    }

    private static void requirePresent(String uri) {
        if (uri == null || uri.isBlank()) {
            throw BackendException.config(null, "no backend URI given", null);
        }
    }
}
