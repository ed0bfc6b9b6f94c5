package dev.tenure.backend.d1;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.sql.SqlSnapshotBackend;

/**
 * Snapshot transport on a Cloudflare D1 database through its REST API
 * ({@code POST /accounts/{account_id}/d1/database/{database_id}/query}): objects in chunks, as
 * {@link SqlSnapshotBackend} describes. Every request is one {@code batch}, which D1 runs as one
 * transaction. The REST API binds strings only, so chunks are stored as base64 text.
 *
 * <p>D1's REST API cannot hold a transaction open between requests, so a download of an object
 * larger than one request reads it in several transactions: when an upload or delete of the key
 * commits in between, the download finds its chunks gone and starts again (never mixing two
 * uploads), and the SHA-256 recorded at upload is checked before the local file is replaced.
 *
 * <p>Not an {@link dev.tenure.backend.AtomicRemoteBackend}: uploads are unconditional, so a lease
 * or a ledger cannot be given one (it does not compile).
 */
public final class D1Backend extends SqlSnapshotBackend {

    private final D1Settings settings;

    private D1Backend(D1Settings settings) {
        super("d1:" + settings.accountId() + "/" + settings.databaseId() + " (tables " + settings.options().table() + "_*)",
                new D1Wire(settings), settings.options());
        this.settings = settings;
    }

    /** A backend for the database {@code settings} name; no request is sent until the first call. */
    public static D1Backend open(D1Settings settings) {
        return new D1Backend(settings);
    }

    /**
     * A backend from a URI: {@code d1://<account_id>/<database_id>[?tokenFile=/path&endpoint=http://127.0.0.1:8787]}.
     * The API token comes from {@code tokenFile} or the environment variable
     * {@value D1Settings#TOKEN_ENV}, never from the URI. See
     * {@link D1Settings#fromUri(String, java.util.Map)} for every parameter.
     *
     * @throws BackendException CONFIG when the URI is not understood or no token is configured
     */
    public static D1Backend open(String uri) {
        return open(D1Settings.fromUri(uri));
    }

    /** The settings this backend was opened with. */
    public D1Settings settings() {
        return settings;
    }
}
