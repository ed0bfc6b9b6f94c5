package dev.tenure.backend.s3;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Keys;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.internal.HttpCalls;
import dev.tenure.backend.internal.HttpCalls.Op;
import dev.tenure.backend.internal.LocalFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * An atomic backend on an S3-compatible bucket, or on a Google Cloud Storage bucket through its
 * XML API.
 *
 * <p>Conditional writes use {@code If-None-Match: *} and {@code If-Match}, spelled as the
 * {@linkplain S3Profile profile} says; the version of a write is the ETag in the PUT response.
 * With the {@linkplain S3Profile#GCS gcs} profile they use {@code x-goog-if-generation-match}
 * instead (0 for "absent"), and the version is the object generation ({@code x-goog-generation}).
 * Conditional deletes are sent only where the store was seen to enforce them by a probe when the
 * backend was opened ({@link ConditionalDeleteSupport}); elsewhere they are refused.
 * {@link #read} is one GET that returns body and ETag together. Every object written carries a
 * SHA-256 of its content in user metadata ({@code x-amz-meta-tenure-sha256}, on GCS
 * {@code x-goog-meta-tenure-sha256}) and every upload a
 * {@code Content-MD5}, so corruption in either direction is detected. The client never retries
 * on its own: a blind retry of a conditional write can turn an applied write into a reported
 * failure, so retrying is left to the caller's policy, which re-reads first when a failure is
 * {@linkplain BackendException#ambiguous() ambiguous}.
 */
public final class S3Backend implements AtomicRemoteBackend {

    private static final Logger LOG = LoggerFactory.getLogger(S3Backend.class);
    static final String SHA256_METADATA = "tenure-sha256";
    /** GCS's own name for the same metadata; GCS may answer with it whichever name the write used. */
    static final String GCS_SHA256_HEADER = "x-goog-meta-" + SHA256_METADATA;
    static final String GCS_GENERATION = "x-goog-generation";
    static final String GCS_IF_GENERATION_MATCH = "x-goog-if-generation-match";
    private static final int COPY_CHUNK = 1 << 20;

    private final S3Settings settings;
    private final S3Client s3;
    private final ConditionalDeleteSupport deletes;

    /** A backend that refuses conditional deletes, as if its probe had not run. */
    S3Backend(S3Settings settings, S3Client s3) {
        this(settings, s3, ConditionalDeleteSupport.notProbed());
    }

    S3Backend(S3Settings settings, S3Client s3, ConditionalDeleteSupport deletes) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.s3 = Objects.requireNonNull(s3, "s3");
        this.deletes = Objects.requireNonNull(deletes, "deletes");
    }

    /**
     * Opens a backend with a client built from the settings, and probes the store for
     * conditional deletes (see {@link ConditionalDeleteSupport}): a handful of requests under
     * {@code tenure-probe/} in the prefix, removed again.
     */
    public static S3Backend open(S3Settings settings) {
        return open(settings, provider(settings.credentials()));
    }

    /**
     * Opens with credentials from {@code credentials}; they are resolved first, so that none to be
     * found is a CONFIG error before any request is sent (the probe at open writes, and a write that
     * fails for want of credentials was never sent: it is not "may have been applied").
     */
    static S3Backend open(S3Settings settings, AwsCredentialsProvider credentials) {
        settings.validate();
        AwsCredentialsProvider checked = new CheckedCredentials(credentials, settings.credentials().toString());
        try {
            checked.resolveCredentials();
        } catch (SdkException e) {
            throw S3Errors.map(null, settings.bucket(), Op.READ, e);
        }
        return open(settings, client(settings, Apache5HttpClient.builder()
                .maxConnections(settings.maxConnections())
                .connectionTimeout(settings.connectTimeout())
                .socketTimeout(settings.requestTimeout())
                .build(), checked));
    }

    /** Opens on a given client, running the open-time probe through it. */
    static S3Backend open(S3Settings settings, S3Client client) {
        S3Backend unprobed = new S3Backend(settings, client);
        return new S3Backend(settings, client, ConditionalDeleteProbe.run(unprobed));
    }

    /** What the open-time probe found about conditional deletes on this store. */
    public ConditionalDeleteSupport conditionalDeletes() {
        return deletes;
    }

    /** Opens a backend from an {@code s3://} or {@code gs://} URI; see {@link S3Settings#fromUri}. */
    public static S3Backend open(String uri) {
        return open(S3Settings.fromUri(uri));
    }

    /** Builds the SDK client the settings describe on top of {@code http}. */
    static S3Client client(S3Settings settings, SdkHttpClient http) {
        return client(settings, http, new CheckedCredentials(provider(settings.credentials()), settings.credentials().toString()));
    }

    /** As {@link #client(S3Settings, SdkHttpClient)}, with the credentials from {@code credentials}. */
    static S3Client client(S3Settings settings, SdkHttpClient http, AwsCredentialsProvider credentials) {
        S3ClientBuilder builder = S3Client.builder()
                .httpClient(http)
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials instanceof CheckedCredentials ? credentials
                        : new CheckedCredentials(credentials, credentials.toString()))
                .forcePathStyle(settings.pathStyle())
                .overrideConfiguration(o -> o
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallAttemptTimeout(settings.requestTimeout())
                        .apiCallTimeout(settings.requestTimeout()));
        if (settings.profile().plainPayloads()) {
            builder.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build());
        }
        settings.endpoint().ifPresent(builder::endpointOverride);
        return builder.build();
    }

    private static AwsCredentialsProvider provider(S3Credentials credentials) {
        if (credentials instanceof S3Credentials.Static s) {
            return StaticCredentialsProvider.create(s.session()
                    .<software.amazon.awssdk.auth.credentials.AwsCredentials>map(
                            token -> AwsSessionCredentials.create(s.accessKeyId(), s.secretAccessKey(), token))
                    .orElseGet(() -> AwsBasicCredentials.create(s.accessKeyId(), s.secretAccessKey())));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    /**
     * A provider whose failure to find credentials is marked, wherever the SDK wraps it, so that
     * {@link S3Errors} maps it to CONFIG: the request was never signed, so never sent.
     */
    private record CheckedCredentials(AwsCredentialsProvider delegate, String source) implements AwsCredentialsProvider {
        @Override
        public software.amazon.awssdk.auth.credentials.AwsCredentials resolveCredentials() {
            try {
                return delegate.resolveCredentials();
            } catch (RuntimeException e) {
                throw software.amazon.awssdk.core.exception.SdkClientException.builder()
                        .message("no S3 credentials could be loaded from the " + source)
                        .cause(new S3Errors.MissingCredentials(source, e)).build();
            }
        }
    }

    /** The request timeout ({@code requestTimeoutMs}): see {@link dev.tenure.backend.RemoteBackend#operationDeadline()}. */
    @Override
    public Optional<Duration> operationDeadline() {
        return Optional.of(settings.requestTimeout());
    }

    /** The settings this backend was opened with (credentials redacted in their {@code toString()}). */
    public S3Settings settings() {
        return settings;
    }

    @Override
    public String name() {
        return (generations() ? "gs://" : "s3://") + settings.bucket() + "/" + settings.prefix() + " ("
                + settings.profile().name().toLowerCase() + settings.endpoint().map(e -> " at " + e).orElse("") + ")";
    }

    @Override
    public String toString() {
        return "S3Backend[" + name() + ", " + settings.credentials() + "]";
    }

    private boolean generations() {
        return settings.profile().generations();
    }

    private String objectKey(String key) {
        return settings.prefix() + Keys.requireValid(key);
    }

    // ---- reads ---------------------------------------------------------------------------------

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        String full = objectKey(key);
        try {
            ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(get(full));
            byte[] content = got.asByteArray();
            verifySha256(key, got.response(), got.response().metadata(), sha256(content));
            return Optional.of(new Versioned<>(content, version(key, got.response(), got.response().eTag())));
        } catch (SdkException e) {
            return absentOrThrow(key, Op.READ, e);
        }
    }

    @Override
    public Optional<ObjectVersion> objectVersion(String key) {
        String full = objectKey(key);
        try {
            HeadObjectResponse head = s3.headObject(b -> b.bucket(settings.bucket()).key(full));
            return Optional.of(version(key, head, head.eTag()));
        } catch (SdkException e) {
            return absentOrThrow(key, Op.READ, e);
        }
    }

    @Override
    public boolean exists(String key) {
        return objectVersion(key).isPresent();
    }

    @Override
    public boolean download(String key, Path localPath) {
        String full = objectKey(key);
        ResponseInputStream<GetObjectResponse> body;
        try {
            body = s3.getObject(get(full));
        } catch (SdkException e) {
            return absentOrThrow(key, Op.READ, e).isPresent();
        }
        try (body) {
            GetObjectResponse response = body.response();
            // The digest is checked before the rename, so a damaged download never replaces the local file.
            LocalFiles.replaceAtomically(localPath, key, out -> {
                MessageDigest sha = sha256Digest();
                long copied = copy(body, out, sha);
                if (response.contentLength() != null && copied != response.contentLength()) {
                    throw BackendException.transport(key, false, "S3 download of '" + key + "' ended after " + copied
                            + " of " + response.contentLength() + " bytes", null);
                }
                verifySha256(key, response, response.metadata(), sha.digest());
            });
            return true;
        } catch (IOException e) {
            throw BackendException.transport(key, false, "S3 download of '" + key + "' failed: " + e.getMessage(), e);
        } catch (SdkException e) {
            throw S3Errors.map(key, settings.bucket(), Op.READ, e);
        }
    }

    @Override
    public List<String> list(String prefix) {
        Keys.requireValidPrefix(prefix);
        List<String> keys = new ArrayList<>();
        try {
            ListObjectsV2Request request = ListObjectsV2Request.builder()
                    .bucket(settings.bucket()).prefix(settings.prefix() + prefix).build();
            for (S3Object object : s3.listObjectsV2Paginator(request).contents()) {
                String key = object.key().substring(settings.prefix().length());
                if (Keys.isValid(key)) {
                    keys.add(key);
                } else {
                    LOG.debug("list {}: skipping object '{}' whose name is not a valid Tenure key", name(), object.key());
                }
            }
        } catch (SdkException e) {
            throw S3Errors.map(prefix, settings.bucket(), Op.LIST, e);
        }
        keys.sort(null);
        return keys;
    }

    // ---- writes --------------------------------------------------------------------------------

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(condition, "condition");
        String full = objectKey(key);
        byte[] copy = bytes.clone();
        return written(key, putObject(key, full, condition, md5(copy), sha256(copy), copy.length, RequestBody.fromBytes(copy)));
    }

    @Override
    public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
        Objects.requireNonNull(condition, "condition");
        String full = objectKey(key);
        Digests d = digests(localPath, key);
        if (d.size() > S3Settings.MAX_SINGLE_PUT) {
            throw BackendException.config(key, "a conditional upload must fit one PUT (at most 5 GiB); " + localPath
                    + " holds " + d.size() + " bytes", null);
        }
        return written(key, putObject(key, full, condition, d.md5(), d.sha256(), d.size(), fileBody(localPath, d)));
    }

    @Override
    public void upload(Path localPath, String key) {
        String full = objectKey(key);
        Digests d = digests(localPath, key);
        if (d.size() >= settings.multipartThreshold()) {
            uploadInParts(localPath, key, full, d);
        } else {
            putObject(key, full, null, d.md5(), d.sha256(), d.size(), fileBody(localPath, d));
        }
    }

    private static RequestBody fileBody(Path localPath, Digests d) {
        return d.size() == 0 ? RequestBody.empty() : RequestBody.fromFile(localPath);
    }

    /**
     * One PUT; returns the answer's version (ETag or generation), which may be missing: only a
     * conditional write needs it ({@link #written}).
     */
    private String putObject(String key, String full, ConditionalPut condition, byte[] md5, byte[] sha256,
            long length, RequestBody body) {
        PutObjectRequest.Builder request = PutObjectRequest.builder()
                .bucket(settings.bucket())
                .key(full)
                .contentLength(length)
                .contentMD5(Base64.getEncoder().encodeToString(md5));
        String digest = HexFormat.of().formatHex(sha256);
        Op op = HttpCalls.putOp(condition);
        if (generations()) {
            // GCS's own headers: its metadata name, so what is read back carries it under one known
            // name, and its precondition on the generation, the only one it enforces on writes.
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put(GCS_SHA256_HEADER, digest);
            if (condition instanceof ConditionalPut.IfAbsent) {
                headers.put(GCS_IF_GENERATION_MATCH, "0");
            } else if (condition instanceof ConditionalPut.IfVersion v) {
                headers.put(GCS_IF_GENERATION_MATCH, generationOf(key, v.version(), op));
            }
            request.overrideConfiguration(o -> headers.forEach(o::putHeader));
        } else {
            request.metadata(Map.of(SHA256_METADATA, digest));
            if (condition instanceof ConditionalPut.IfAbsent) {
                request.ifNoneMatch("*");
            } else if (condition instanceof ConditionalPut.IfVersion v) {
                request.ifMatch(settings.profile().ifMatchValue(v.version().token()));
            }
        }
        try {
            PutObjectResponse response = s3.putObject(request.build(), body);
            return versionToken(response, response.eTag());
        } catch (SdkException e) {
            throw S3Errors.map(key, settings.bucket(), op, e);
        }
    }

    /**
     * The generation a version token names. A token that is not a generation (a version from
     * another store, say) matches no object here: the condition fails without a request.
     */
    private static String generationOf(String key, ObjectVersion version, Op op) {
        String token = version.token();
        if (!token.matches("[1-9][0-9]{0,18}")) {
            throw BackendException.preconditionFailed(key, "the " + op.name().toLowerCase().replace('_', ' ') + " of '" + key
                    + "' names version '" + token + "', which is no GCS generation, so no object can match it");
        }
        return token;
    }

    private void uploadInParts(Path localPath, String key, String full, Digests d) {
        String uploadId;
        try {
            String digest = HexFormat.of().formatHex(d.sha256());
            CreateMultipartUploadResponse created = s3.createMultipartUpload(b -> {
                b.bucket(settings.bucket()).key(full);
                if (generations()) {
                    b.overrideConfiguration(o -> o.putHeader(GCS_SHA256_HEADER, digest));
                } else {
                    b.metadata(Map.of(SHA256_METADATA, digest));
                }
            });
            uploadId = created.uploadId();
        } catch (SdkException e) {
            throw S3Errors.map(key, settings.bucket(), Op.WRITE, e);
        }
        try (FileChannel in = FileChannel.open(localPath, StandardOpenOption.READ)) {
            List<CompletedPart> parts = new ArrayList<>();
            long offset = 0;
            for (int number = 1; offset < d.size(); number++) {
                int length = (int) Math.min(settings.partSize(), d.size() - offset);
                ByteBuffer part = ByteBuffer.allocate(length);
                while (part.hasRemaining() && in.read(part, offset + part.position()) > 0) {
                    // loop over short reads
                }
                byte[] bytes = part.array();
                UploadPartRequest request = UploadPartRequest.builder().bucket(settings.bucket()).key(full)
                        .uploadId(uploadId).partNumber(number).contentLength((long) length)
                        .contentMD5(Base64.getEncoder().encodeToString(md5(bytes))).build();
                String etag = s3.uploadPart(request, RequestBody.fromBytes(bytes)).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                offset += length;
            }
            s3.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(settings.bucket()).key(full)
                    .uploadId(uploadId).multipartUpload(m -> m.parts(parts)).build());
        } catch (SdkException e) {
            abort(full, uploadId);
            throw S3Errors.map(key, settings.bucket(), Op.WRITE, e);
        } catch (IOException e) {
            abort(full, uploadId);
            throw BackendException.config(key, "cannot read " + localPath + " to upload: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            abort(full, uploadId);
            throw e;
        }
    }

    private void abort(String full, String uploadId) {
        try {
            s3.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(settings.bucket()).key(full).uploadId(uploadId).build());
        } catch (SdkException e) {
            LOG.warn("could not abort multipart upload of '{}' in {}; a lifecycle rule should clean it up: {}", full, name(), e.getMessage());
        }
    }

    @Override
    public void delete(String key) {
        String full = objectKey(key);
        try {
            s3.deleteObject(DeleteObjectRequest.builder().bucket(settings.bucket()).key(full).build());
        } catch (SdkException e) {
            BackendException mapped = S3Errors.map(key, settings.bucket(), Op.DELETE, e);
            if (mapped.kind() != BackendException.Kind.NOT_FOUND) {
                throw mapped;
            }
        }
    }

    @Override
    public void deleteConditional(String key, ConditionalDelete condition) {
        Objects.requireNonNull(condition, "condition");
        Keys.requireValid(key);
        if (!deletes.enforced()) {
            throw BackendException.config(key, "this store was not seen to enforce a conditional DELETE ("
                    + deletes.evidence() + "), so Tenure refuses conditional deletes here rather than risk an"
                    + " unconditional one", null);
        }
        sendConditionalDelete(key, ((ConditionalDelete.IfVersion) condition).version());
    }

    /** A DELETE carrying the condition, whatever the probe found: the probe itself uses this. */
    void sendConditionalDelete(String key, ObjectVersion expected) {
        String full = objectKey(key);
        DeleteObjectRequest.Builder request = DeleteObjectRequest.builder().bucket(settings.bucket()).key(full);
        if (generations()) {
            String generation = generationOf(key, expected, Op.CONDITIONAL_DELETE);
            request.overrideConfiguration(o -> o.putHeader(GCS_IF_GENERATION_MATCH, generation));
        } else {
            request.ifMatch(settings.profile().ifMatchValue(expected.token()));
        }
        try {
            s3.deleteObject(request.build());
        } catch (SdkException e) {
            throw S3Errors.map(key, settings.bucket(), Op.CONDITIONAL_DELETE, e);
        }
    }

    @Override
    public void close() {
        s3.close();
    }

    /**
     * Which spellings of an ETag the store accepts in {@code If-Match}.
     *
     * @param quotedAccepted the ETag with its quotes, exactly as returned
     * @param unquotedAccepted the ETag without quotes
     */
    public record EtagSpelling(boolean quotedAccepted, boolean unquotedAccepted) {
    }

    /**
     * Writes {@code key} and tries {@code If-Match} with the current ETag quoted and unquoted,
     * bypassing the profile: the evidence for choosing a profile. Leaves the key behind.
     */
    public EtagSpelling probeEtagSpelling(String key) {
        if (generations()) {
            throw BackendException.config(key, "the gcs profile sends no If-Match (its versions are generations),"
                    + " so there is no ETag spelling to probe", null);
        }
        String full = objectKey(key);
        ObjectVersion v = put(key, new byte[] {1}, ConditionalPut.ifAbsent());
        String bare = S3Profile.CEPH.ifMatchValue(v.token());
        boolean quoted = tryIfMatch(key, full, "\"" + bare + "\"", new byte[] {2});
        String current = objectVersion(key).orElseThrow().token();
        boolean unquoted = tryIfMatch(key, full, S3Profile.CEPH.ifMatchValue(current), new byte[] {3});
        return new EtagSpelling(quoted, unquoted);
    }

    private boolean tryIfMatch(String key, String full, String ifMatch, byte[] content) {
        try {
            s3.putObject(PutObjectRequest.builder().bucket(settings.bucket()).key(full).ifMatch(ifMatch)
                    .contentMD5(Base64.getEncoder().encodeToString(md5(content))).build(), RequestBody.fromBytes(content));
            return true;
        } catch (SdkException e) {
            BackendException mapped = S3Errors.map(key, settings.bucket(), Op.CONDITIONAL_WRITE, e);
            if (mapped.kind() == BackendException.Kind.PRECONDITION_FAILED || mapped.kind() == BackendException.Kind.CONFIG) {
                return false;
            }
            throw mapped;
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private GetObjectRequest get(String full) {
        return GetObjectRequest.builder().bucket(settings.bucket()).key(full).build();
    }

    private <T> Optional<T> absentOrThrow(String key, Op op, SdkException e) {
        BackendException mapped = S3Errors.map(key, settings.bucket(), op, e);
        if (mapped.kind() == BackendException.Kind.NOT_FOUND) {
            return Optional.empty();
        }
        throw mapped;
    }

    /**
     * The version a successful PUT made. A success without an ETag was applied, but the writer
     * cannot learn which version it made: the outcome of its compare-and-swap is unknown to it,
     * so that is ambiguous (read back), never a plain failure.
     */
    private ObjectVersion written(String key, String token) {
        if (token == null || token.isBlank()) {
            throw BackendException.transport(key, true, "the store answered a successful PUT of '" + key + "' without "
                    + versionName() + ": the write was applied, but its version is unknown (the write may have been"
                    + " applied; read it back). Tenure cannot do compare-and-swap with a store that does this", null);
        }
        return new ObjectVersion(token);
    }

    private ObjectVersion version(String key, SdkResponse response, String etag) {
        String token = versionToken(response, etag);
        if (token == null || token.isBlank()) {
            throw BackendException.internal(key, "the store answered without " + versionName() + " for '" + key
                    + "'; Tenure cannot do compare-and-swap without one", null);
        }
        return new ObjectVersion(token);
    }

    /** The version an answer carries: its ETag, or on GCS its generation (the ETag is a content digest there). */
    private String versionToken(SdkResponse response, String etag) {
        return generations() ? response.sdkHttpResponse().firstMatchingHeader(GCS_GENERATION).orElse(null) : etag;
    }

    private String versionName() {
        return generations() ? "an " + GCS_GENERATION + " header" : "an ETag";
    }

    private static void verifySha256(String key, SdkResponse response, Map<String, String> metadata, byte[] actual) {
        String expected = metadata == null ? null : metadata.get(SHA256_METADATA);
        if (expected == null) {
            expected = response.sdkHttpResponse().firstMatchingHeader(GCS_SHA256_HEADER).orElse(null);
        }
        if (expected != null && !expected.equalsIgnoreCase(HexFormat.of().formatHex(actual))) {
            throw BackendException.internal(key, "object '" + key + "' is corrupt: its SHA-256 does not match the one"
                    + " recorded when it was written", null);
        }
    }

    private record Digests(long size, byte[] md5, byte[] sha256) {
    }

    private static Digests digests(Path localPath, String key) {
        MessageDigest md5 = digest("MD5");
        MessageDigest sha = sha256Digest();
        long size = 0;
        try (InputStream in = Files.newInputStream(localPath)) {
            byte[] chunk = new byte[COPY_CHUNK];
            int n;
            while ((n = in.read(chunk)) > 0) {
                md5.update(chunk, 0, n);
                sha.update(chunk, 0, n);
                size += n;
            }
        } catch (NoSuchFileException e) {
            throw BackendException.config(key, "cannot upload " + localPath + ": no such file", e);
        } catch (IOException e) {
            throw BackendException.config(key, "cannot read " + localPath + " to upload: " + e.getMessage(), e);
        }
        return new Digests(size, md5.digest(), sha.digest());
    }

    private static long copy(InputStream in, FileChannel out, MessageDigest sha) throws IOException {
        byte[] chunk = new byte[COPY_CHUNK];
        long copied = 0;
        int n;
        while ((n = in.read(chunk)) > 0) {
            sha.update(chunk, 0, n);
            LocalFiles.writeFully(out, ByteBuffer.wrap(chunk, 0, n));
            copied += n;
        }
        return copied;
    }

    private static byte[] md5(byte[] bytes) {
        return digest("MD5").digest(bytes);
    }

    private static byte[] sha256(byte[] bytes) {
        return sha256Digest().digest(bytes);
    }

    private static MessageDigest sha256Digest() {
        return digest("SHA-256");
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required of every Java platform", e);
        }
    }
}
