package dev.tenure.backend.s3;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Keys;
import dev.tenure.backend.internal.UriQueries;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the S3 backend needs to reach a bucket. Build with {@link #builder(String)} or parse
 * with {@link #fromUri(String)}; {@link #validate()} runs on construction so a bad setting fails
 * before any request.
 *
 * @param bucket the bucket name
 * @param prefix a key prefix inside the bucket, empty or ending with {@code /}
 * @param endpoint the endpoint for a non-AWS store, or empty for AWS's regional endpoint
 * @param region the signing region
 * @param profile what the store does differently
 * @param pathStyle whether to address the bucket in the path rather than the host name
 * @param credentials where credentials come from
 * @param connectTimeout time to open a connection
 * @param requestTimeout time for one request, start to end
 * @param maxConnections connection pool size
 * @param multipartThreshold files of at least this size are uploaded in parts (unconditional uploads only)
 * @param partSize size of each part
 */
public record S3Settings(String bucket, String prefix, Optional<URI> endpoint, String region, S3Profile profile,
        boolean pathStyle, S3Credentials credentials, Duration connectTimeout, Duration requestTimeout,
        int maxConnections, long multipartThreshold, long partSize) {

    /** Google Cloud Storage's XML API endpoint, the default for the gcs profile. */
    public static final URI GCS_ENDPOINT = URI.create("https://storage.googleapis.com");
    /** The largest object S3 accepts in one PUT; conditional uploads must fit. */
    public static final long MAX_SINGLE_PUT = 5L << 30;
    private static final long MIN_PART = 5L << 20;
    private static final Set<String> URI_PARAMETERS = Set.of("endpoint", "region", "profile", "pathStyle",
            "connectTimeoutMs", "requestTimeoutMs", "maxConnections");

    /** Validates every field; see {@link #validate()}. */
    public S3Settings {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        validate(bucket, prefix, endpoint, region, profile, connectTimeout, requestTimeout, maxConnections, multipartThreshold, partSize);
    }

    private static void validate(String bucket, String prefix, Optional<URI> endpoint, String region, S3Profile profile,
            Duration connectTimeout, Duration requestTimeout, int maxConnections, long multipartThreshold, long partSize) {
        // GCS bucket names may also hold '_' (they are then addressed path-style, the gcs default).
        String allowed = profile == S3Profile.GCS ? "[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]" : "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]";
        if (bucket == null || !bucket.matches(allowed)) {
            throw invalid("bucket name '" + bucket + "' is not a valid " + (profile == S3Profile.GCS ? "GCS" : "S3")
                    + " bucket name (3-63 of a-z, 0-9, '.', '-'" + (profile == S3Profile.GCS ? ", '_'" : "") + ")");
        }
        if (prefix == null || !(prefix.isEmpty() || prefix.endsWith("/") && Keys.isValid(prefix.substring(0, prefix.length() - 1)))) {
            throw invalid("key prefix '" + prefix + "' must be empty or a valid key followed by '/'");
        }
        endpoint.ifPresent(e -> {
            if (e.getScheme() == null || !(e.getScheme().equals("http") || e.getScheme().equals("https")) || e.getHost() == null) {
                throw invalid("endpoint '" + e + "' must be an http:// or https:// URL with a host");
            }
            if (e.getUserInfo() != null) {
                throw invalid("endpoint must not carry credentials; use the AWS credential chain or S3Credentials");
            }
        });
        if (region == null || region.isBlank()) {
            throw invalid("region must be set (any name, such as us-east-1, for stores that ignore it)");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw invalid("timeouts must be positive (connect " + connectTimeout + ", request " + requestTimeout + ")");
        }
        if (maxConnections < 1) {
            throw invalid("maxConnections must be at least 1, not " + maxConnections);
        }
        if (partSize < MIN_PART || multipartThreshold < partSize) {
            throw invalid("partSize must be at least 5 MiB and multipartThreshold at least partSize (part "
                    + partSize + ", threshold " + multipartThreshold + ")");
        }
    }

    /** Runs the checks the constructor runs; for settings made elsewhere. */
    public S3Settings validate() {
        validate(bucket, prefix, endpoint, region, profile, connectTimeout, requestTimeout, maxConnections, multipartThreshold, partSize);
        return this;
    }

    private static BackendException invalid(String message) {
        return BackendException.config(null, "invalid S3 settings: " + message, null);
    }

    /** A builder for the bucket, with AWS defaults. */
    public static Builder builder(String bucket) {
        return new Builder(bucket);
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        Builder b = new Builder(bucket);
        b.prefix = prefix;
        b.endpoint = endpoint.orElse(null);
        b.region = region;
        b.profile = profile;
        b.pathStyle = pathStyle;
        b.credentials = credentials;
        b.connectTimeout = connectTimeout;
        b.requestTimeout = requestTimeout;
        b.maxConnections = maxConnections;
        b.multipartThreshold = multipartThreshold;
        b.partSize = partSize;
        return b;
    }

    /**
     * Parses {@code s3://bucket/prefix?endpoint=http://127.0.0.1:7480&region=us-east-1&profile=ceph}
     * or {@code gs://bucket/prefix} (Google Cloud Storage through its XML API: the gcs profile,
     * endpoint {@code https://storage.googleapis.com}, region {@code auto}). Other parameters:
     * {@code pathStyle}, {@code connectTimeoutMs}, {@code requestTimeoutMs}, {@code maxConnections}.
     * Credentials (for GCS, an HMAC key) come from the AWS default chain; a URI that carries
     * credentials is refused, so they never land in shell history or logs.
     *
     * @throws BackendException CONFIG naming what is wrong with the URI
     */
    public static S3Settings fromUri(String uri) {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw invalid("not a URI: " + e.getMessage());
        }
        String scheme = parsed.getScheme();
        // A GCS bucket name with '_' is no host name, so java.net.URI keeps it only as the authority.
        String bucket = parsed.getHost() != null || !"gs".equals(scheme) ? parsed.getHost() : parsed.getAuthority();
        if (!("s3".equals(scheme) || "gs".equals(scheme)) || bucket == null) {
            throw invalid("expected s3://bucket[/prefix][?endpoint=...&region=...&profile=...] or gs://bucket[/prefix], got '"
                    + UriQueries.redact(uri) + "'");
        }
        if (parsed.getUserInfo() != null || bucket.contains("@")) {
            throw invalid("credentials in the URI are refused: use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a profile"
                    + " (for GCS, an HMAC key's access id and secret)");
        }
        Builder b = builder(bucket);
        String path = parsed.getPath() == null ? "" : parsed.getPath();
        if (path.startsWith("/")) {
            path = path.substring(1);
        }
        b.prefix(path.isEmpty() || path.endsWith("/") ? path : path + "/");
        UriQueries query = UriQueries.parse(scheme, parsed.getRawQuery(), URI_PARAMETERS);
        if ("gs".equals(scheme)) {
            b.profile(S3Profile.GCS);
            if (query.has("profile") && S3Profile.parse(query.get("profile")) != S3Profile.GCS) {
                throw invalid("a gs:// URI always uses the gcs profile, not '" + query.get("profile") + "'");
            }
        } else if (query.has("profile")) {
            b.profile(S3Profile.parse(query.get("profile")));
        }
        if (query.has("endpoint")) {
            b.endpoint(URI.create(query.get("endpoint")));
        }
        if (query.has("region")) {
            b.region(query.get("region"));
        }
        if (query.has("pathStyle")) {
            b.pathStyle(query.bool("pathStyle", false));
        }
        b.connectTimeout(query.millis("connectTimeoutMs", b.connectTimeout));
        b.requestTimeout(query.millis("requestTimeoutMs", b.requestTimeout));
        b.maxConnections(query.integer("maxConnections", b.maxConnections));
        return b.build();
    }

    /** Builds {@link S3Settings}; defaults suit AWS. */
    public static final class Builder {
        private final String bucket;
        private String prefix = "";
        private URI endpoint;
        private String region;
        private S3Profile profile = S3Profile.AWS;
        private Boolean pathStyle;
        private S3Credentials credentials = S3Credentials.defaultChain();
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private int maxConnections = 64;
        private long multipartThreshold = 64L << 20;
        private long partSize = 16L << 20;

        private Builder(String bucket) {
            this.bucket = bucket;
        }

        /** A key prefix inside the bucket; a missing trailing {@code /} is added. */
        public Builder prefix(String prefix) {
            this.prefix = prefix == null || prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
            return this;
        }

        /** The endpoint of a non-AWS store; the gcs profile defaults to {@link S3Settings#GCS_ENDPOINT}. */
        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        /** The signing region; defaults to {@code us-east-1}, or {@code auto} for the gcs profile. */
        public Builder region(String region) {
            this.region = region;
            return this;
        }

        /** The store profile; also sets the path-style default unless {@link #pathStyle} is called. */
        public Builder profile(S3Profile profile) {
            this.profile = profile;
            return this;
        }

        /** Path-style addressing; defaults to the profile's usual choice. */
        public Builder pathStyle(boolean pathStyle) {
            this.pathStyle = pathStyle;
            return this;
        }

        /** Where credentials come from. */
        public Builder credentials(S3Credentials credentials) {
            this.credentials = credentials;
            return this;
        }

        /** Time to open a connection. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /** Time for one request, start to end. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /** Connection pool size. */
        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        /** Files of at least this size go up in parts of {@code partSize} (unconditional uploads only). */
        public Builder multipart(long threshold, long partSize) {
            this.multipartThreshold = threshold;
            this.partSize = partSize;
            return this;
        }

        /**
         * The settings.
         *
         * @throws BackendException CONFIG when a setting is invalid
         */
        public S3Settings build() {
            boolean gcs = profile == S3Profile.GCS;
            URI resolvedEndpoint = endpoint != null || !gcs ? endpoint : GCS_ENDPOINT;
            String resolvedRegion = region != null ? region : gcs ? "auto" : "us-east-1";
            return new S3Settings(bucket, prefix, Optional.ofNullable(resolvedEndpoint), resolvedRegion, profile,
                    pathStyle != null ? pathStyle : profile.pathStyleByDefault(), credentials, connectTimeout,
                    requestTimeout, maxConnections, multipartThreshold, partSize);
        }
    }
}
