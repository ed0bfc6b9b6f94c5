package dev.tenure.backend.turso;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Secret;
import dev.tenure.backend.sql.SqlOptions;
import dev.tenure.backend.sql.wire.SqlUris;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything {@link TursoBackend} needs to reach a libSQL server (Turso, or a self-hosted
 * {@code sqld}). Build with {@link #builder(URI)} or parse with {@link #fromUri(String)}; validated
 * on construction. {@code toString()} never shows the token.
 *
 * @param endpoint the server's base URL, {@code http://} or {@code https://}; Hrana requests go to
 *     {@code <endpoint>/v2/pipeline}
 * @param token the bearer token (a JWT), or empty for a server without authentication
 * @param options table prefix, chunk and request sizes, orphan grace and timeouts
 */
public record TursoSettings(URI endpoint, Optional<Secret> token, SqlOptions options) {

    /** The environment variable a token is read from when the URI names no {@code tokenFile}. */
    public static final String TOKEN_ENV = "TENURE_LIBSQL_TOKEN";
    /**
     * Default chunk size, 512 KiB: a blob travels base64-encoded (about 700 KB of JSON), far below
     * sqld's default 10 MB limit on one answer, and large enough that a 1 GiB object is 2,048 rows.
     */
    public static final int DEFAULT_CHUNK_BYTES = 512 << 10;
    /** Default chunk bytes per request, 2 MiB: four chunks, about 2.8 MB of JSON each way. */
    public static final int DEFAULT_REQUEST_BYTES = 2 << 20;
    private static final Set<String> URI_PARAMETERS = Set.of("tls", "tokenFile");

    /** Validates the endpoint and rejects nulls. */
    public TursoSettings {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(options, "options");
        if (endpoint == null || endpoint.getScheme() == null
                || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https")) || endpoint.getHost() == null) {
            throw invalid("endpoint '" + endpoint + "' must be an http:// or https:// URL with a host");
        }
        if (endpoint.getRawUserInfo() != null || endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
            throw invalid("endpoint must be a plain base URL without credentials, query or fragment");
        }
    }

    private static BackendException invalid(String message) {
        return BackendException.config(null, "invalid libSQL settings: " + message, null);
    }

    /** A builder for the server at {@code endpoint}, without a token, with the default options. */
    public static Builder builder(URI endpoint) {
        return new Builder(endpoint);
    }

    /**
     * Parses {@code libsql://host[:port][?tls=false&tokenFile=/path&table=tenure]}, reading the
     * environment for the token; see {@link #fromUri(String, Map)}.
     */
    public static TursoSettings fromUri(String uri) {
        return fromUri(uri, System.getenv());
    }

    /**
     * Parses a libSQL URI:
     * <ul>
     *   <li>{@code libsql://db-org.turso.io}: HTTPS on port 443;</li>
     *   <li>{@code libsql://127.0.0.1:8080?tls=false}: plain HTTP (a local {@code sqld});</li>
     *   <li>{@code tokenFile=/path}: the bearer token is that file's content; without it the
     *       token is {@value #TOKEN_ENV} from {@code env}, and without that there is none;</li>
     *   <li>{@code table}, {@code chunkKiB}, {@code requestKiB}, {@code orphanGraceSeconds},
     *       {@code connectTimeoutMs}, {@code requestTimeoutMs}: see {@link SqlOptions}.</li>
     * </ul>
     * A token in the URI itself ({@code token=}, {@code authToken=}, user info) is refused, and the
     * error never repeats it.
     *
     * @throws BackendException CONFIG naming what is wrong
     */
    public static TursoSettings fromUri(String uri, Map<String, String> env) {
        String form = "libsql://host[:port][?tls=false&tokenFile=/path&table=name]";
        SqlUris.Parsed p = SqlUris.parse(uri, "libsql", form, URI_PARAMETERS,
                "use tokenFile=/path or the environment variable " + TOKEN_ENV);
        URI parsed = p.uri();
        Map<String, String> query = p.query();
        if (parsed.getHost() == null) {
            throw invalid("expected " + form + ", got '" + SqlUris.redacted(uri) + "'");
        }
        if (parsed.getRawPath() != null && !parsed.getRawPath().isEmpty() && !parsed.getRawPath().equals("/")) {
            throw invalid("a libsql:// URI names a server, not a path; remove '" + parsed.getRawPath() + "'");
        }
        String tls = query.getOrDefault("tls", "true");
        if (!tls.equals("true") && !tls.equals("false")) {
            throw invalid("tls must be true or false, not '" + tls + "'");
        }
        URI endpoint;
        try {
            endpoint = new URI(tls.equals("true") ? "https" : "http", null, parsed.getHost(), parsed.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            throw invalid("bad host or port: " + e.getMessage());
        }
        return builder(endpoint)
                .token(SqlUris.token(query, env, TOKEN_ENV).orElse(null))
                .options(defaultOptions().uriParameters(query).build())
                .build();
    }

    /** The default options: 512 KiB chunks, 2 MiB per request. */
    public static SqlOptions.Builder defaultOptions() {
        return SqlOptions.builder(DEFAULT_CHUNK_BYTES, DEFAULT_REQUEST_BYTES);
    }

    /** Builds {@link TursoSettings}. */
    public static final class Builder {
        private final URI endpoint;
        private Secret token;
        private SqlOptions options = defaultOptions().build();

        private Builder(URI endpoint) {
            this.endpoint = endpoint;
        }

        /** The bearer token; null for none. */
        public Builder token(Secret token) {
            this.token = token;
            return this;
        }

        /** Table prefix, sizes, orphan grace and timeouts. */
        public Builder options(SqlOptions options) {
            this.options = options;
            return this;
        }

        /**
         * The settings.
         *
         * @throws BackendException CONFIG when a setting is invalid
         */
        public TursoSettings build() {
            return new TursoSettings(endpoint, Optional.ofNullable(token), options);
        }
    }
}
