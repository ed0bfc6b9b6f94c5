package dev.tenure.backend.azure;

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
import dev.tenure.backend.internal.SafeXml;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * An atomic backend on an Azure Blob Storage container, through the Blob REST API.
 *
 * <p>Every object is a block blob written by one Put Blob. A create sends
 * {@code If-None-Match: *}, an update and a conditional delete {@code If-Match} with the ETag
 * read; the store checks the condition and writes atomically. Versions are the ETags, which Azure
 * changes on every write, equal bytes or not. A lost race comes back as 412 {@code ConditionNotMet}
 * or, for a create, 409 {@code BlobAlreadyExists}; both are PRECONDITION_FAILED. Every upload
 * carries a {@code Content-MD5}, which the store checks and keeps, and every whole-blob read is
 * checked against the MD5 the store returns.
 *
 * <p>Requests go through {@code java.net.http}, authorised by Shared Key ({@link SharedKeySigner})
 * or a SAS token, not through the Azure SDK: see {@code docs/backends.md}. Nothing is retried
 * here: a blind retry of a conditional write can turn an applied write into a reported failure,
 * so retrying is the caller's policy, which reads back first after an
 * {@linkplain BackendException#ambiguous() ambiguous} failure. Redirects are never followed.
 */
public final class AzureBlobBackend implements AtomicRemoteBackend {

    /** The Blob service API version sent ({@code x-ms-version}); Azurite knows it from 3.34 on. */
    static final String API_VERSION = "2025-01-05";
    /** The largest blob one Put Blob may write (version 2019-12-12 and later): 5,000 MiB. */
    static final long MAX_PUT_BLOB = 5000L << 20;
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final int COPY_CHUNK = 1 << 16;

    private final AzureSettings settings;
    private final HttpClient client;
    private final Clock clock;
    private final String name;

    AzureBlobBackend(AzureSettings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.connectTimeout())
                .build();
        this.name = "az://" + settings.account() + "/" + settings.container() + "/" + settings.prefix()
                + (settings.endpoint().equals(AzureSettings.defaultEndpoint(settings.account())) ? "" : " at " + settings.endpoint());
    }

    /** Opens a backend on the container the settings name; sends nothing until the first call. */
    public static AzureBlobBackend open(AzureSettings settings) {
        return new AzureBlobBackend(settings, Clock.systemUTC());
    }

    /** Opens a backend from an {@code az://} URI; see {@link AzureSettings#fromUri}. */
    public static AzureBlobBackend open(String uri) {
        return open(AzureSettings.fromUri(uri));
    }

    /** The settings this backend was opened with (the credential hidden in their {@code toString()}). */
    public AzureSettings settings() {
        return settings;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "AzureBlobBackend[" + name + ", " + settings.credential() + "]";
    }

    /** The request timeout ({@code requestTimeoutMs}): see {@link dev.tenure.backend.RemoteBackend#operationDeadline()}. */
    @Override
    public Optional<Duration> operationDeadline() {
        return Optional.of(settings.requestTimeout());
    }

    // ---- reads ---------------------------------------------------------------------------------

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        HttpResponse<byte[]> r = send("GET", blobUrl(key), new LinkedHashMap<>(), null, HttpResponse.BodyHandlers.ofByteArray(),
                key, Op.READ, settings.requestTimeout());
        if (absent(r)) {
            return Optional.empty();
        }
        if (r.statusCode() != 200) {
            throw failure(key, Op.READ, "GET", r, r.body());
        }
        byte[] content = r.body();
        checkMd5(key, r, md5().digest(content));
        return Optional.of(new Versioned<>(content, version(key, "GET", r)));
    }

    @Override
    public Optional<ObjectVersion> objectVersion(String key) {
        HttpResponse<Void> r = send("HEAD", blobUrl(key), new LinkedHashMap<>(), null, HttpResponse.BodyHandlers.discarding(),
                key, Op.READ, settings.requestTimeout());
        if (absent(r)) {
            return Optional.empty();
        }
        if (r.statusCode() != 200) {
            throw failure(key, Op.READ, "HEAD", r, new byte[0]);
        }
        return Optional.of(version(key, "HEAD", r));
    }

    @Override
    public boolean exists(String key) {
        return objectVersion(key).isPresent();
    }

    @Override
    public boolean download(String key, Path localPath) {
        HttpResponse<InputStream> r = send("GET", blobUrl(key), new LinkedHashMap<>(), null,
                HttpResponse.BodyHandlers.ofInputStream(), key, Op.READ, settings.requestTimeout());
        try (InputStream in = r.body()) {
            if (absent(r)) {
                return false;
            }
            if (r.statusCode() != 200) {
                throw failure(key, Op.READ, "GET", r, in.readNBytes(4096));
            }
            long expected = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            // The digest is checked before the rename, so a damaged download never replaces the local file.
            LocalFiles.replaceAtomically(localPath, key, out -> {
                MessageDigest md5 = md5();
                HttpCalls.copyBody(in, out, expected, md5, key, where("GET", key));
                checkMd5(key, r, md5.digest());
            });
            return true;
        } catch (IOException e) {
            throw BackendException.transport(key, false, where("GET", key) + ": the body broke off: " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> list(String prefix) {
        Keys.requireValidPrefix(prefix);
        List<String> keys = new ArrayList<>();
        String marker = "";
        do {
            URI url = URI.create(settings.endpoint() + "/" + settings.container()
                    + "?restype=container&comp=list&prefix=" + encodeQuery(settings.prefix() + prefix)
                    + "&maxresults=" + settings.listPageSize() + (marker.isEmpty() ? "" : "&marker=" + encodeQuery(marker)));
            HttpResponse<byte[]> r = send("GET", url, new LinkedHashMap<>(), null, HttpResponse.BodyHandlers.ofByteArray(),
                    null, Op.LIST, settings.requestTimeout());
            if (r.statusCode() != 200) {
                throw failure(null, Op.LIST, "List Blobs", r, r.body());
            }
            marker = page(r.body(), keys);
        } while (!marker.isEmpty());
        keys.sort(null);
        return keys;
    }

    /** Adds the keys of one List Blobs page and returns its {@code NextMarker} (empty on the last page). */
    private String page(byte[] body, List<String> keys) {
        Document doc;
        try {
            doc = SafeXml.parse(body);
        } catch (SAXException | IOException e) {
            throw BackendException.internal(null, where("List Blobs", null) + " answered a body that is not a blob"
                    + " listing: " + e.getMessage(), e);
        }
        NodeList names = doc.getElementsByTagName("Name");
        for (int i = 0; i < names.getLength(); i++) {
            Element nameElement = (Element) names.item(i);
            if (!(nameElement.getParentNode() instanceof Element parent) || !parent.getTagName().equals("Blob")) {
                continue;
            }
            String blob = nameElement.getTextContent();
            if ("true".equals(nameElement.getAttribute("Encoded"))) {
                // Names holding characters XML cannot carry come percent-encoded; no Tenure key has them.
                blob = URLDecoder.decode(blob.replace("+", "%2B"), StandardCharsets.UTF_8);
            }
            if (!blob.startsWith(settings.prefix())) {
                continue;
            }
            String key = blob.substring(settings.prefix().length());
            if (Keys.isValid(key)) {
                keys.add(key);
            }
        }
        NodeList next = doc.getElementsByTagName("NextMarker");
        return next.getLength() == 0 ? "" : next.item(0).getTextContent().strip();
    }

    // ---- writes --------------------------------------------------------------------------------

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(condition, "condition");
        URI url = blobUrl(key);
        byte[] copy = bytes.clone();
        return written(key, putBlob(key, url, HttpRequest.BodyPublishers.ofByteArray(copy), copy.length,
                md5().digest(copy), condition));
    }

    @Override
    public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
        Objects.requireNonNull(condition, "condition");
        return written(key, putFile(key, localPath, condition));
    }

    @Override
    public void upload(Path localPath, String key) {
        putFile(key, localPath, null);
    }

    private Optional<String> putFile(String key, Path localPath, ConditionalPut condition) {
        URI url = blobUrl(key);
        MessageDigest md5 = md5();
        long size = 0;
        try (InputStream in = Files.newInputStream(localPath)) {
            byte[] chunk = new byte[COPY_CHUNK];
            for (int n; (n = in.read(chunk)) > 0; size += n) {
                md5.update(chunk, 0, n);
            }
        } catch (NoSuchFileException e) {
            throw BackendException.config(key, "cannot upload " + localPath + ": no such file", e);
        } catch (IOException e) {
            throw BackendException.config(key, "cannot read " + localPath + " to upload: " + e.getMessage(), e);
        }
        if (size > MAX_PUT_BLOB) {
            throw BackendException.config(key, "one Put Blob holds at most 5,000 MiB; " + localPath + " holds " + size + " bytes", null);
        }
        HttpRequest.BodyPublisher body;
        try {
            body = size == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofFile(localPath);
        } catch (FileNotFoundException e) {
            throw BackendException.config(key, "cannot upload " + localPath + ": no such file", e);
        }
        return putBlob(key, url, body, size, md5.digest(), condition);
    }

    /** One Put Blob; returns the answer's ETag, which may be missing: only a conditional write needs it ({@link #written}). */
    private Optional<String> putBlob(String key, URI url, HttpRequest.BodyPublisher body, long length, byte[] md5,
            ConditionalPut condition) {
        Op op = HttpCalls.putOp(condition);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/octet-stream");
        headers.put("Content-MD5", Base64.getEncoder().encodeToString(md5));
        headers.put("x-ms-blob-type", "BlockBlob");
        if (condition instanceof ConditionalPut.IfAbsent) {
            headers.put("If-None-Match", "*");
        } else if (condition instanceof ConditionalPut.IfVersion v) {
            headers.put("If-Match", v.version().token());
        }
        // The timeout runs until the answer's headers, so it covers sending the body: one more second per MiB.
        Duration timeout = settings.requestTimeout().plusSeconds(length >> 20);
        HttpResponse<byte[]> r = send("PUT", url, headers, new Body(body, length), HttpResponse.BodyHandlers.ofByteArray(),
                key, op, timeout);
        if (r.statusCode() == 201) {
            return etag(r);
        }
        if (r.statusCode() >= 200 && r.statusCode() < 300) {
            throw BackendException.transport(key, true, where("PUT", key) + ": HTTP " + r.statusCode() + " is not the"
                    + " answer that says the blob is stored (201); the write may have been applied", null);
        }
        throw failure(key, op, "PUT", r, r.body());
    }

    @Override
    public void delete(String key) {
        HttpResponse<byte[]> r = send("DELETE", blobUrl(key), new LinkedHashMap<>(), null,
                HttpResponse.BodyHandlers.ofByteArray(), key, Op.DELETE, settings.requestTimeout());
        if (r.statusCode() != 202 && !absent(r)) {
            throw failure(key, Op.DELETE, "DELETE", r, r.body());
        }
    }

    @Override
    public void deleteConditional(String key, ConditionalDelete condition) {
        Objects.requireNonNull(condition, "condition");
        URI url = blobUrl(key);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("If-Match", ((ConditionalDelete.IfVersion) condition).version().token());
        HttpResponse<byte[]> r = send("DELETE", url, headers, null, HttpResponse.BodyHandlers.ofByteArray(), key,
                Op.CONDITIONAL_DELETE, settings.requestTimeout());
        if (r.statusCode() != 202) {
            throw failure(key, Op.CONDITIONAL_DELETE, "DELETE", r, r.body());
        }
    }

    @Override
    public void close() {
        // java.net.http's client has no close before Java 21; its threads end when it is unreachable.
    }

    // ---- plumbing ------------------------------------------------------------------------------

    /** A request body and its length, which Shared Key signs. */
    private record Body(HttpRequest.BodyPublisher publisher, long length) {
    }

    private <T> HttpResponse<T> send(String method, URI url, Map<String, String> headers, Body body,
            HttpResponse.BodyHandler<T> handler, String key, Op op, Duration timeout) {
        headers.put("x-ms-date", HTTP_DATE.format(clock.instant()));
        headers.put("x-ms-version", API_VERSION);
        URI target = url;
        if (settings.credential() instanceof AzureCredential.SharedKey sharedKey) {
            Map<String, String> signed = new LinkedHashMap<>(headers);
            if (body != null) {
                signed.put("Content-Length", Long.toString(body.length()));
            }
            headers.put("Authorization", SharedKeySigner.authorization(sharedKey.account(), sharedKey.key(),
                    SharedKeySigner.stringToSign(method, url, signed, sharedKey.account())));
        } else if (settings.credential() instanceof AzureCredential.Sas sas) {
            target = URI.create(url + (url.getRawQuery() == null ? "?" : "&") + sas.token().reveal());
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(target).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body.publisher());
        headers.forEach(b::header);
        return HttpCalls.send(client, b.build(), handler, key, op, where(method, key));
    }

    /** The URL of the blob holding {@code key}; refuses a bad key first. */
    URI blobUrl(String key) {
        Keys.requireValid(key);
        return URI.create(settings.endpoint() + "/" + settings.container() + "/" + encodePath(settings.prefix() + key));
    }

    /** Percent-encodes a URL path: every UTF-8 byte but the unreserved characters and {@code /}. */
    static String encodePath(String path) {
        return encode(path, true);
    }

    /** Percent-encodes a query value: every UTF-8 byte but the unreserved characters. */
    static String encodeQuery(String value) {
        return encode(value, false);
    }

    private static String encode(String s, boolean keepSlash) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
                    || c == '~' || (keepSlash && c == '/')) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }

    /** True for a 404 about the blob; a missing container is a configuration error, never "absent". */
    private static boolean absent(HttpResponse<?> r) {
        return r.statusCode() == 404 && !"ContainerNotFound".equals(r.headers().firstValue("x-ms-error-code").orElse(""));
    }

    private BackendException failure(String key, Op op, String method, HttpResponse<?> r, byte[] body) {
        String text = redacted(new String(body, 0, Math.min(body.length, 4096), StandardCharsets.UTF_8));
        String code = AzureErrors.code(r.headers().firstValue("x-ms-error-code").orElse(null), text);
        return AzureErrors.map(key, settings.container(), op, where(method, key), r.statusCode(), code, text);
    }

    /** A server's text with the SAS signature cut out, should it echo the request. */
    private String redacted(String text) {
        if (settings.credential() instanceof AzureCredential.Sas sas) {
            for (String pair : sas.token().reveal().split("&")) {
                if (pair.startsWith("sig=") && pair.length() > 4) {
                    String sig = pair.substring(4);
                    text = text.replace(sig, "[hidden]").replace(URLDecoder.decode(sig, StandardCharsets.UTF_8), "[hidden]");
                }
            }
        }
        return text;
    }

    private String where(String method, String key) {
        return name + ": " + method + (key != null ? " of '" + key + "'" : "");
    }

    private static Optional<String> etag(HttpResponse<?> r) {
        return r.headers().firstValue("ETag").map(String::strip).filter(s -> !s.isEmpty());
    }

    private ObjectVersion version(String key, String method, HttpResponse<?> r) {
        return etag(r).map(ObjectVersion::of).orElseThrow(() -> BackendException.internal(key, where(method, key)
                + " answered without an ETag; Tenure cannot do compare-and-swap without one", null));
    }

    /**
     * The version a successful Put Blob made. A success without an ETag was applied, but the
     * writer cannot learn which version it made: the outcome of its compare-and-swap is unknown to
     * it, so that is ambiguous (read back), never a plain failure.
     */
    private ObjectVersion written(String key, Optional<String> etag) {
        return etag.map(ObjectVersion::of).orElseThrow(() -> BackendException.transport(key, true, where("PUT", key)
                + " succeeded without an ETag: the write was applied, but its version is unknown (the write may have been"
                + " applied; read it back)", null));
    }

    /** Checks content against the MD5 the store keeps for the blob, when it keeps one. */
    private void checkMd5(String key, HttpResponse<?> r, byte[] actual) {
        Optional<String> stored = r.headers().firstValue("Content-MD5");
        if (stored.isPresent() && !stored.get().strip().equals(Base64.getEncoder().encodeToString(actual))) {
            throw BackendException.internal(key, where("GET", key) + ": the content does not match the MD5 the store"
                    + " keeps for the blob: corrupt on the way or in the store", null);
        }
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every Java platform", e);
        }
    }
}
