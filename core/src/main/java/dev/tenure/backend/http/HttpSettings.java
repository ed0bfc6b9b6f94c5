package dev.tenure.backend.http;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Secret;
import dev.tenure.backend.internal.UriQueries;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Configuration of an {@link HttpBackend} or {@link AtomicHttpBackend}.
 *
 * @param baseUrl every key lives under this http(s) URL, which ends with {@code /}
 * @param authHeader the name of the header carrying the credential, usually {@code Authorization}
 * @param auth the header's value, never shown; empty for a server without authentication
 * @param listing how {@code list} asks the server for keys
 * @param preconditions whether the operator claims the server enforces RFC 7232 preconditions on
 *     PUT and DELETE; {@link AtomicHttpBackend} needs this claim and then checks it
 * @param connectTimeout how long to wait for a connection
 * @param requestTimeout how long to wait for a whole response
 */
public record HttpSettings(URI baseUrl, String authHeader, Optional<Secret> auth, Listing listing,
        Preconditions preconditions, Duration connectTimeout, Duration requestTimeout) {

    /** The environment variable holding an {@code Authorization} value when the URI names no file. */
    public static final String AUTH_ENV = "TENURE_HTTP_AUTHORIZATION";

    private static final Set<String> URI_PARAMETERS = Set.of("authFile", "authHeader", "listing", "preconditions",
            "connectTimeoutMs", "requestTimeoutMs");

    /** How keys are listed. */
    public enum Listing {
        /**
         * WebDAV {@code PROPFIND} with {@code Depth: 1}, walked collection by collection (many
         * servers refuse {@code Depth: infinity}).
         */
        WEBDAV,
        /** The server offers no listing; {@code list} fails with a CONFIG error. */
        NONE
    }

    /** What the operator claims about the server's preconditions. */
    public enum Preconditions {
        /** No claim: only {@link HttpBackend}, snapshot transport, may be opened. */
        UNCLAIMED,
        /** The server enforces If-Match and If-None-Match on PUT and DELETE; opening checks it. */
        ENFORCED
    }

    /** Validates and normalises; errors are CONFIG and never show the credential. */
    public HttpSettings {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(authHeader, "authHeader");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(listing, "listing");
        Objects.requireNonNull(preconditions, "preconditions");
        String scheme = baseUrl.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme) || baseUrl.getHost() == null) {
            throw invalid("the base URL must be http:// or https:// with a host, not '" + UriQueries.redact(String.valueOf(baseUrl)) + "'");
        }
        if (baseUrl.getRawUserInfo() != null) {
            throw invalid("credentials in the URL are refused: give an authorization header in a file (authFile) or in "
                    + AUTH_ENV);
        }
        if (baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
            throw invalid("the base URL must not carry a query or fragment");
        }
        String path = baseUrl.getRawPath() == null || baseUrl.getRawPath().isEmpty() ? "/" : baseUrl.getRawPath();
        if (!path.endsWith("/")) {
            path = path + "/";
        }
        try {
            baseUrl = new URI(scheme, baseUrl.getRawAuthority(), null, null, null).resolve(path);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw invalid("bad base URL: " + e.getMessage());
        }
        if (!authHeader.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
            throw invalid("'" + authHeader + "' is not an HTTP header name");
        }
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero() || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw invalid("timeouts must be positive (connect " + connectTimeout + ", request " + requestTimeout + ")");
        }
    }

    /** A builder for the server at {@code baseUrl}. */
    public static Builder builder(URI baseUrl) {
        return new Builder(baseUrl);
    }

    /**
     * Parses {@code http(s)://host[:port]/base/path/?preconditions=enforced&listing=webdav&authFile=/path}.
     * Other parameters: {@code authHeader} (default {@code Authorization}), {@code connectTimeoutMs},
     * {@code requestTimeoutMs}. The credential comes from {@code authFile} or, failing that, from
     * the environment variable {@value #AUTH_ENV}; never from the URI itself.
     *
     * @throws BackendException CONFIG naming what is wrong
     */
    public static HttpSettings fromUri(String uri) {
        return fromUri(uri, System.getenv());
    }

    static HttpSettings fromUri(String uri, Map<String, String> environment) {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw invalid("not a URI: " + UriQueries.redact(uri));
        }
        if (parsed.getRawUserInfo() != null) {
            throw invalid("credentials in the URL are refused: give an authorization header in a file (authFile) or in "
                    + AUTH_ENV);
        }
        UriQueries query = UriQueries.parse("http", parsed.getRawQuery(), URI_PARAMETERS);
        URI base;
        try {
            base = new URI(parsed.getScheme(), parsed.getRawAuthority(), null, null, null).resolve(
                    parsed.getRawPath() == null || parsed.getRawPath().isEmpty() ? "/" : parsed.getRawPath());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw invalid("expected http(s)://host[:port]/path/, got '" + UriQueries.redact(uri) + "'");
        }
        Builder b = builder(base);
        if (query.has("authFile")) {
            b.auth(Secret.fromFile(Path.of(query.get("authFile"))));
        } else if (environment.get(AUTH_ENV) != null && !environment.get(AUTH_ENV).isBlank()) {
            b.auth(Secret.of(environment.get(AUTH_ENV)));
        }
        if (query.has("authHeader")) {
            b.authHeader(query.get("authHeader"));
        }
        if (query.has("listing")) {
            b.listing(parseEnum(Listing.class, "listing", query.get("listing")));
        }
        if (query.has("preconditions")) {
            b.preconditions(parseEnum(Preconditions.class, "preconditions", query.get("preconditions")));
        }
        b.connectTimeout(query.millis("connectTimeoutMs", b.connectTimeout));
        b.requestTimeout(query.millis("requestTimeoutMs", b.requestTimeout));
        return b.build();
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String name, String value) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value)) {
                return e;
            }
        }
        StringBuilder known = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            known.append(known.length() == 0 ? "" : ", ").append(e.name().toLowerCase());
        }
        throw invalid("unknown " + name + " '" + value + "'; known: " + known);
    }

    private static BackendException invalid(String message) {
        return BackendException.config(null, "invalid HTTP backend settings: " + message, null);
    }

    @Override
    public String toString() {
        return "HttpSettings[" + baseUrl + ", auth " + (auth.isPresent() ? authHeader + " " + auth.get() : "none")
                + ", listing " + listing + ", preconditions " + preconditions + "]";
    }

    /** Builds {@link HttpSettings}: no credential, WebDAV listing, no precondition claim, 5 s / 30 s timeouts. */
    public static final class Builder {
        private final URI baseUrl;
        private String authHeader = "Authorization";
        private Secret auth;
        private Listing listing = Listing.WEBDAV;
        private Preconditions preconditions = Preconditions.UNCLAIMED;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(30);

        private Builder(URI baseUrl) {
            this.baseUrl = baseUrl;
        }

        /** The credential sent in the auth header, e.g. {@code Basic ...} or {@code Bearer ...}. */
        public Builder auth(Secret value) {
            this.auth = Objects.requireNonNull(value, "value");
            return this;
        }

        /** The name of the header that carries the credential. */
        public Builder authHeader(String name) {
            this.authHeader = name;
            return this;
        }

        /** How {@code list} asks the server for keys. */
        public Builder listing(Listing value) {
            this.listing = value;
            return this;
        }

        /** The operator's claim about RFC 7232 preconditions. */
        public Builder preconditions(Preconditions value) {
            this.preconditions = value;
            return this;
        }

        /** How long to wait for a connection. */
        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        /** How long to wait for a whole response. */
        public Builder requestTimeout(Duration value) {
            this.requestTimeout = value;
            return this;
        }

        /** Validates and builds. */
        public HttpSettings build() {
            return new HttpSettings(baseUrl, authHeader, Optional.ofNullable(auth), listing, preconditions,
                    connectTimeout, requestTimeout);
        }
    }
}
