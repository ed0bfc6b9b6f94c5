package dev.tenure.backend.turso;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.sql.SqlSnapshotBackend;

/**
 * Snapshot transport on a libSQL database (Turso, or a self-hosted {@code sqld}) through Hrana
 * over HTTP ({@code POST /v2/pipeline}): objects in chunks, as {@link SqlSnapshotBackend}
 * describes, written with one transactional Hrana batch per request and read inside one
 * transaction held open on a Hrana stream across requests (the baton), so a download sees one
 * snapshot of the database from its first chunk to its last.
 *
 * <p>Not an {@link dev.tenure.backend.AtomicRemoteBackend}: uploads are unconditional, so a lease
 * or a ledger cannot be given one (it does not compile).
 *
 * <pre>{@code
 * try (TursoBackend backend = TursoBackend.open("libsql://db-org.turso.io?tokenFile=/run/secrets/turso")) {
 *     backend.upload(Path.of("snapshot.db"), "snapshots/latest");
 * }
 * }</pre>
 */
public final class TursoBackend extends SqlSnapshotBackend {

    private final TursoSettings settings;

    private TursoBackend(TursoSettings settings) {
        super("libsql:" + settings.endpoint() + " (tables " + settings.options().table() + "_*)",
                new HranaWire(settings), settings.options());
        this.settings = settings;
    }

    /** A backend for the server {@code settings} name; no request is sent until the first call. */
    public static TursoBackend open(TursoSettings settings) {
        return new TursoBackend(settings);
    }

    /**
     * A backend from a URI: {@code libsql://host[:port][?tls=false&tokenFile=/path&table=name]}.
     * {@code libsql://} means HTTPS unless {@code tls=false}; the token comes from
     * {@code tokenFile} or the environment variable {@value TursoSettings#TOKEN_ENV}, never from the
     * URI. See {@link TursoSettings#fromUri(String, java.util.Map)} for every parameter.
     *
     * @throws BackendException CONFIG when the URI is not understood
     */
    public static TursoBackend open(String uri) {
        return open(TursoSettings.fromUri(uri));
    }

    /** The settings this backend was opened with. */
    public TursoSettings settings() {
        return settings;
    }
}
