package dev.tenure.backend.http;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Keys;
import dev.tenure.backend.internal.HttpCalls;
import dev.tenure.backend.internal.HttpCalls.Op;
import dev.tenure.backend.internal.LocalFiles;
import dev.tenure.backend.internal.SegmentNames;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The requests both HTTP backends send: objects live at {@code <base>/<dir>/.../<name>.obj}, named
 * by {@link SegmentNames}, so that the keys {@code a} and {@code a/b} can both exist on a server
 * that stores a file tree. Redirects are never followed: a credential must not travel to a host
 * the operator did not name.
 */
final class HttpWire {

    /** The status and headers of an answer whose body the caller wanted as bytes. */
    record Answer(int status, Optional<String> etag, byte[] body) {
    }

    /**
     * The deadline of one operation that may take several requests (a PUT, the collections it
     * needs and the PUT again; a listing walked collection by collection): all of them together
     * get what one request gets, so a slow server cannot stretch one operation to many timeouts.
     */
    private record Budget(long endNanos, Duration total) {
        static Budget of(Duration total) {
            return new Budget(System.nanoTime() + total.toNanos(), total);
        }

        Duration left() {
            return Duration.ofNanos(endNanos - System.nanoTime());
        }
    }

    private final HttpSettings settings;
    private final HttpClient client;
    private final String name;

    HttpWire(HttpSettings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.connectTimeout())
                .build();
        this.name = "http " + settings.baseUrl();
    }

    String name() {
        return name;
    }

    HttpSettings settings() {
        return settings;
    }

    // ---- objects -------------------------------------------------------------------------------

    /** GET into memory; empty when absent. */
    Optional<Answer> get(String key) {
        URI url = objectUrl(key);
        HttpResponse<byte[]> r = send(request(url).GET(), HttpResponse.BodyHandlers.ofByteArray(), key, Op.READ, "GET");
        if (r.statusCode() == 404 || r.statusCode() == 410) {
            return Optional.empty();
        }
        if (r.statusCode() != 200) {
            throw failure(key, Op.READ, "GET", r.statusCode(), r.body(), r);
        }
        return Optional.of(new Answer(200, etag(r), r.body()));
    }

    /** GET streamed into {@code local}, replaced atomically; false when absent. */
    boolean download(String key, Path local) {
        URI url = objectUrl(key);
        HttpResponse<InputStream> r = send(request(url).GET(), HttpResponse.BodyHandlers.ofInputStream(), key, Op.READ, "GET");
        try (InputStream in = r.body()) {
            if (r.statusCode() == 404 || r.statusCode() == 410) {
                return false;
            }
            if (r.statusCode() != 200) {
                throw failure(key, Op.READ, "GET", r.statusCode(), in.readNBytes(4096), r);
            }
            long expected = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            LocalFiles.replaceAtomically(local, key, out -> HttpCalls.copyBody(in, out, expected, null, key, where("GET", key)));
            return true;
        } catch (IOException e) {
            throw BackendException.transport(key, false, where("GET", key) + ": the body broke off: " + e.getMessage(), e);
        }
    }

    /** HEAD; empty when absent, else the ETag header (possibly empty when the server sends none). */
    Optional<Optional<String>> head(String key) {
        URI url = objectUrl(key);
        HttpResponse<Void> r = send(request(url).method("HEAD", HttpRequest.BodyPublishers.noBody()),
                HttpResponse.BodyHandlers.discarding(), key, Op.READ, "HEAD");
        if (r.statusCode() == 404 || r.statusCode() == 410) {
            return Optional.empty();
        }
        if (r.statusCode() != 200) {
            throw failure(key, Op.READ, "HEAD", r.statusCode(), new byte[0], r);
        }
        return Optional.of(etag(r));
    }

    /** The bytes of a local file to PUT; CONFIG when it cannot be read. */
    private static HttpRequest.BodyPublisher fileBody(Path local, String key) {
        try {
            return HttpRequest.BodyPublishers.ofFile(local);
        } catch (FileNotFoundException e) {
            throw BackendException.config(key, "cannot read the local file " + local + " to upload: no such file", e);
        }
    }

    /**
     * PUT, with {@code If-None-Match: *} or {@code If-Match} when a condition is given; returns
     * the ETag of the answer (empty when the server sent none). A WebDAV server that refuses the
     * PUT because a parent collection is missing gets the collections made and the PUT once more.
     */
    Optional<String> put(String key, HttpRequest.BodyPublisher body, ConditionalPut condition) {
        return put(key, objectUrl(key), body, condition);
    }

    /** As {@link #put}, with the content of a local file; a bad key is refused before the file is opened. */
    Optional<String> putFile(String key, Path local, ConditionalPut condition) {
        URI url = objectUrl(key);
        return put(key, url, fileBody(local, key), condition);
    }

    private Optional<String> put(String key, URI url, HttpRequest.BodyPublisher body, ConditionalPut condition) {
        Op op = HttpCalls.putOp(condition);
        Budget budget = Budget.of(putTimeout(body));
        // IfVersion names an existing object, so its parents exist; a missing parent means a missing object.
        boolean mayCreate = !(condition instanceof ConditionalPut.IfVersion);
        if (mayCreate && body.contentLength() == 0) {
            // lighttpd 1.4 answers an empty PUT under a missing collection with 500, not 409, which
            // would read as an ambiguous failure; making the parents first avoids asking.
            makeParents(url, key, budget);
        }
        HttpResponse<byte[]> r = sendPut(url, body, condition, key, op, budget);
        if (r.statusCode() == 409) {
            if (!mayCreate) {
                throw BackendException.preconditionFailed(key, where("PUT", key) + ": HTTP 409: the object does not exist"
                        + " (its parent collection is missing)");
            }
            makeParents(url, key, budget);
            r = sendPut(url, body, condition, key, op, budget);
        }
        int status = r.statusCode();
        if (status == 200 || status == 201 || status == 204) {
            return etag(r);
        }
        if (status >= 200 && status < 300) {
            // 202 Accepted and the like: the server took the PUT but does not say it is stored; it may be, now or later.
            throw BackendException.transport(key, true, where("PUT", key) + ": HTTP " + status + " is not an answer that says"
                    + " the object is stored (200, 201 or 204); the write may have been applied", null);
        }
        throw failure(key, op, "PUT", status, r.body(), r);
    }

    /**
     * The timeout runs until the answer's headers, so it covers sending the body: a large
     * snapshot gets one more second per MiB rather than failing on a slow link.
     */
    private Duration putTimeout(HttpRequest.BodyPublisher body) {
        return settings.requestTimeout().plusSeconds(Math.max(0, body.contentLength()) >> 20);
    }

    private HttpResponse<byte[]> sendPut(URI url, HttpRequest.BodyPublisher body, ConditionalPut condition, String key, Op op,
            Budget budget) {
        HttpRequest.Builder b = within(budget, putTimeout(body), request(url).PUT(body), key, "PUT")
                .header("Content-Type", "application/octet-stream");
        if (condition instanceof ConditionalPut.IfAbsent) {
            b.header("If-None-Match", "*");
        } else if (condition instanceof ConditionalPut.IfVersion v) {
            b.header("If-Match", v.version().token());
        }
        return send(b, HttpResponse.BodyHandlers.ofByteArray(), key, op, "PUT");
    }

    /** DELETE, with {@code If-Match} when {@code ifMatch} is given; an absent object is fine only without one. */
    void delete(String key, String ifMatch) {
        URI url = objectUrl(key);
        Op op = ifMatch == null ? Op.DELETE : Op.CONDITIONAL_DELETE;
        HttpRequest.Builder b = request(url).DELETE();
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        HttpResponse<byte[]> r = send(b, HttpResponse.BodyHandlers.ofByteArray(), key, op, "DELETE");
        int status = r.statusCode();
        if (status == 200 || status == 202 || status == 204 || (ifMatch == null && (status == 404 || status == 410))) {
            return;
        }
        throw failure(key, op, "DELETE", status, r.body(), r);
    }

    /** Makes the collection that holds the object at {@code object}, and any missing above it, up to the server root. */
    private void makeParents(URI object, String key, Budget budget) {
        URI parent = object.resolve(".");
        if (!parent.equals(settings.baseUrl().resolve("/"))) {
            makeCollection(parent, key, 0, budget);
        }
    }

    private void makeCollection(URI dir, String key, int depth, Budget budget) {
        String method = "MKCOL " + dir.getRawPath() + " for";
        HttpResponse<byte[]> r = send(within(budget, settings.requestTimeout(), request(dir), key, method)
                .method("MKCOL", HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofByteArray(), key, Op.WRITE, method);
        int status = r.statusCode();
        // 405: the collection exists already (RFC 4918 §9.3.1), perhaps made by a racing writer.
        if (status == 201 || status == 405) {
            return;
        }
        URI above = dir.resolve("..");
        // 409: its own parent is missing (RFC 4918 §9.3.1): make that first, then this one again.
        if (status == 409 && depth < 64 && !above.getRawPath().equals("/") && !above.equals(dir)) {
            makeCollection(above, key, depth + 1, budget);
            makeCollection(dir, key, depth + 1, budget);
            return;
        }
        throw failure(key, Op.WRITE, "MKCOL " + dir.getRawPath() + " for", status, r.body(), r);
    }

    // ---- listing -------------------------------------------------------------------------------

    List<String> list(String prefix) {
        Keys.requireValidPrefix(prefix);
        if (settings.listing() == HttpSettings.Listing.NONE) {
            throw BackendException.config(null, name + " has listing=none: this server offers no way to list keys", null);
        }
        int slash = prefix.lastIndexOf('/');
        String dirPrefix = slash < 0 ? "" : prefix.substring(0, slash + 1);
        StringBuilder path = new StringBuilder();
        if (!dirPrefix.isEmpty()) {
            for (String segment : dirPrefix.substring(0, dirPrefix.length() - 1).split("/", -1)) {
                path.append(urlName(SegmentNames.directory(segment))).append('/');
            }
        }
        List<String> keys = new ArrayList<>();
        collect(settings.baseUrl().resolve(path.toString()), dirPrefix, prefix, keys, Budget.of(settings.requestTimeout()));
        keys.sort(null);
        return keys;
    }

    private void collect(URI dir, String keyPrefix, String wanted, List<String> keys, Budget budget) {
        for (WebDavListing.Entry entry : propfind(dir, budget)) {
            if (entry.collection()) {
                String segment = SegmentNames.fromDirectory(entry.name());
                if (segment != null) {
                    String childPrefix = keyPrefix + segment + "/";
                    if (childPrefix.startsWith(wanted) || wanted.startsWith(childPrefix)) {
                        collect(dir.resolve(urlName(entry.name()) + "/"), childPrefix, wanted, keys, budget);
                    }
                }
            } else {
                String segment = SegmentNames.fromObject(entry.name());
                if (segment != null && (keyPrefix + segment).startsWith(wanted)) {
                    keys.add(keyPrefix + segment);
                }
            }
        }
    }

    private List<WebDavListing.Entry> propfind(URI dir, Budget budget) {
        HttpRequest.Builder b = within(budget, settings.requestTimeout(), request(dir), null, "PROPFIND " + dir.getRawPath())
                .method("PROPFIND", HttpRequest.BodyPublishers.ofString(WebDavListing.REQUEST_BODY, StandardCharsets.UTF_8))
                .header("Depth", "1")
                .header("Content-Type", "application/xml; charset=utf-8");
        HttpResponse<byte[]> r = send(b, HttpResponse.BodyHandlers.ofByteArray(), null, Op.LIST, "PROPFIND " + dir.getRawPath());
        if (r.statusCode() == 404) {
            return List.of();
        }
        if (r.statusCode() == 405 || r.statusCode() == 501) {
            throw BackendException.config(null, name + ": PROPFIND " + dir.getRawPath() + " answered HTTP " + r.statusCode()
                    + ": the server does not offer WebDAV listing here; enable it, or set listing=none", null);
        }
        if (r.statusCode() != 207) {
            throw failure(null, Op.LIST, "PROPFIND " + dir.getRawPath(), r.statusCode(), r.body(), r);
        }
        return WebDavListing.parse(r.body(), dir, name);
    }

    // ---- plumbing ------------------------------------------------------------------------------

    URI objectUrl(String key) {
        Keys.requireValid(key);
        String[] segments = key.split("/", -1);
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < segments.length; i++) {
            boolean last = i == segments.length - 1;
            path.append(urlName(last ? SegmentNames.object(segments[i]) : SegmentNames.directory(segments[i])));
            if (!last) {
                path.append('/');
            }
        }
        return settings.baseUrl().resolve(path.toString());
    }

    /** A stored name in a URL path: names hold only {@code [A-Za-z0-9._%-]}, so only {@code %} needs escaping. */
    private static String urlName(String storedName) {
        return storedName.replace("%", "%25");
    }

    private HttpRequest.Builder request(URI url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(settings.requestTimeout());
        settings.auth().ifPresent(secret -> b.header(settings.authHeader(), secret.reveal()));
        return b;
    }

    /**
     * Gives one request of a multi-request operation what is left of its budget, at most
     * {@code timeout}; throws before sending when nothing is left. Nothing of the operation was
     * applied then (its earlier requests made collections, or were refused), so it is not ambiguous.
     */
    private HttpRequest.Builder within(Budget budget, Duration timeout, HttpRequest.Builder b, String key, String method) {
        Duration left = budget.left();
        if (left.isNegative() || left.isZero()) {
            throw BackendException.transport(key, false, where(method, key) + ": not sent: the operation's earlier requests"
                    + " used up its deadline of " + budget.total().toMillis() + " ms (requestTimeoutMs, plus 1 s per MiB uploaded)",
                    null);
        }
        return b.timeout(left.compareTo(timeout) < 0 ? left : timeout);
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder b, HttpResponse.BodyHandler<T> handler, String key, Op op,
            String method) {
        return HttpCalls.send(client, b.build(), handler, key, op, where(method, key));
    }

    private String where(String method, String key) {
        return name + ": " + method + (key != null ? " of '" + key + "'" : "");
    }

    private BackendException failure(String key, Op op, String method, int status, byte[] body, HttpResponse<?> r) {
        if (status >= 300 && status < 400) {
            String location = r.headers().firstValue("Location").map(l -> " to " + l).orElse("");
            return BackendException.config(key, where(method, key) + ": HTTP " + status + ", a redirect" + location
                    + ": point the base URL at the final location; redirects are not followed", null);
        }
        String detail = body.length == 0 ? "" : new String(body, 0, Math.min(body.length, 2048), StandardCharsets.UTF_8);
        if (detail.startsWith("<")) {
            // An HTML error page says nothing the status does not; keep messages short.
            detail = "";
        }
        return HttpCalls.statusError(key, op, where(method, key), status, detail);
    }

    private static Optional<String> etag(HttpResponse<?> r) {
        return r.headers().firstValue("ETag").map(String::strip).filter(s -> !s.isEmpty());
    }
}
