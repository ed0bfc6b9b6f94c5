package dev.tenure.backend.d1;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Secret;
import dev.tenure.backend.sql.SqlOptions;
import dev.tenure.backend.sql.wire.SqlUris;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything {@link D1Backend} needs to reach a Cloudflare D1 database through the REST API.
 * Build with {@link #builder(String, String, Secret)} or parse with {@link #fromUri(String)};
 * validated on construction. {@code toString()} never shows the token.
 *
 * @param accountId the Cloudflare account id (32 hex digits)
 * @param databaseId the D1 database id (a UUID)
 * @param endpoint the API base, {@code https://api.cloudflare.com/client/v4} unless testing
 * @param token the API token (needs D1 read and write permission)
 * @param options table prefix, chunk and request sizes, orphan grace and timeouts
 */
public record D1Settings(String accountId, String databaseId, URI endpoint, Secret token, SqlOptions options) {

    /** The environment variable the token is read from when the URI names no {@code tokenFile}. */
    public static final String TOKEN_ENV = "CLOUDFLARE_API_TOKEN";
    /** Cloudflare's API base. */
    public static final URI DEFAULT_ENDPOINT = URI.create("https://api.cloudflare.com/client/v4");
    /**
     * Default chunk size, 256 KiB. D1's REST API binds strings only, so chunks are stored as base64
     * text (349,528 characters for 256 KiB), well inside D1's limit on one string or row (1,000,000
     * bytes when this was written, raised to 2,000,000 since).
     */
    public static final int DEFAULT_CHUNK_BYTES = 256 << 10;
    /** The largest chunk whose base64 text still fits D1's older 1,000,000-byte row limit with room for the key. */
    public static final int MAX_CHUNK_BYTES = 720 << 10;
    /** Default chunk bytes per request, 1 MiB: four chunks, about 1.4 MB of JSON each way. */
    public static final int DEFAULT_REQUEST_BYTES = 1 << 20;
    private static final Set<String> URI_PARAMETERS = Set.of("tokenFile", "endpoint");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

    /** Validates the ids, the endpoint and the chunk size. */
    public D1Settings {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(options, "options");
        // The ids become path segments of the API URL, so they are held to what Cloudflare issues.
        if (accountId == null || !ID.matcher(accountId).matches()) {
            throw invalid("account id '" + accountId + "' must be letters, digits and '-' (Cloudflare issues 32 hex digits)");
        }
        if (databaseId == null || !ID.matcher(databaseId).matches()) {
            throw invalid("database id '" + databaseId + "' must be letters, digits and '-' (a UUID)");
        }
        if (endpoint == null || endpoint.getScheme() == null
                || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https")) || endpoint.getHost() == null
                || endpoint.getRawUserInfo() != null || endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
            throw invalid("endpoint must be an http:// or https:// base URL with a host and without credentials or query");
        }
        if (options.chunkBytes() > MAX_CHUNK_BYTES) {
            throw invalid("chunks of " + options.chunkBytes() + " bytes are too large for D1: base64 text of at most "
                    + MAX_CHUNK_BYTES + " bytes fits one D1 row");
        }
    }

    private static BackendException invalid(String message) {
        return BackendException.config(null, "invalid D1 settings: " + message, null);
    }

    /** A builder for one database, with the default endpoint and options. */
    public static Builder builder(String accountId, String databaseId, Secret token) {
        return new Builder(accountId, databaseId, token);
    }

    /**
     * Parses {@code d1://<account_id>/<database_id>[?tokenFile=...&endpoint=...]}, reading the
     * environment for the token; see {@link #fromUri(String, Map)}.
     */
    public static D1Settings fromUri(String uri) {
        return fromUri(uri, System.getenv());
    }

    /**
     * Parses a D1 URI:
     * <ul>
     *   <li>{@code d1://<account_id>/<database_id>}: the database, through Cloudflare's API;</li>
     *   <li>{@code tokenFile=/path}: the API token is that file's content; without it the token
     *       is {@value #TOKEN_ENV} from {@code env}; one of them is required;</li>
     *   <li>{@code endpoint=http://127.0.0.1:8787}: another API base (a test server);</li>
     *   <li>{@code table}, {@code chunkKiB}, {@code requestKiB}, {@code orphanGraceSeconds},
     *       {@code connectTimeoutMs}, {@code requestTimeoutMs}: see {@link SqlOptions}.</li>
     * </ul>
     * A token in the URI itself ({@code token=}, {@code apiToken=}, user info) is refused, and the
     * error never repeats it.
     *
     * @throws BackendException CONFIG naming what is wrong
     */
    public static D1Settings fromUri(String uri, Map<String, String> env) {
        String form = "d1://<account_id>/<database_id>[?tokenFile=/path&endpoint=...]";
        String sources = "use tokenFile=/path or the environment variable " + TOKEN_ENV;
        SqlUris.Parsed p = SqlUris.parse(uri, "d1", form, URI_PARAMETERS, sources);
        // The authority is the account id; read raw, since an id need not parse as a host name.
        String account = p.uri().getRawAuthority();
        String path = p.uri().getRawPath() == null ? "" : p.uri().getRawPath();
        if (!path.matches("/[^/]+/?")) {
            throw invalid("expected " + form + ", got '" + SqlUris.redacted(uri) + "'");
        }
        Map<String, String> query = p.query();
        Secret token = SqlUris.token(query, env, TOKEN_ENV).orElseThrow(() -> invalid("no API token: " + sources));
        Builder b = builder(account, path.replace("/", ""), token)
                .options(defaultOptions().uriParameters(query).build());
        if (query.containsKey("endpoint")) {
            try {
                b.endpoint(new URI(query.get("endpoint")));
            } catch (URISyntaxException e) {
                throw invalid("endpoint is not a URL");
            }
        }
        return b.build();
    }

    /** The default options: 256 KiB chunks, 1 MiB per request. */
    public static SqlOptions.Builder defaultOptions() {
        return SqlOptions.builder(DEFAULT_CHUNK_BYTES, DEFAULT_REQUEST_BYTES);
    }

    /** The query URL of this database: {@code <endpoint>/accounts/<a>/d1/database/<d>/query}. */
    public URI queryUrl() {
        String base = endpoint.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base)
                + "/accounts/" + accountId + "/d1/database/" + databaseId + "/query");
    }

    /** Builds {@link D1Settings}. */
    public static final class Builder {
        private final String accountId;
        private final String databaseId;
        private final Secret token;
        private URI endpoint = DEFAULT_ENDPOINT;
        private SqlOptions options = defaultOptions().build();

        private Builder(String accountId, String databaseId, Secret token) {
            this.accountId = accountId;
            this.databaseId = databaseId;
            this.token = token;
        }

        /** Another API base, for a test server. */
        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint;
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
        public D1Settings build() {
            return new D1Settings(accountId, databaseId, endpoint, token, options);
        }
    }
}
