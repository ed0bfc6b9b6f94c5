package dev.tenure.backend.conformance;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deliberately simple HTTP object server for tests of how the HTTP backends react to servers
 * that misbehave: it stores bodies by path, and each switch breaks one thing a real server may
 * get wrong (ignoring preconditions, weak ETags, no ETag on PUT, a fixed status). It is not a
 * stand-in for a real server: the backends' conformance runs against Debian's Apache httpd in
 * {@code src-it}. Public so that the snapshot and command-line tests of other modules can run
 * against it through the core test-jar.
 */
public final class ObjectServerDouble implements AutoCloseable {

    /** One request as the server saw it. */
    public record Seen(String method, String path, Map<String, List<String>> headers) {
        public String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    private final HttpServer server;
    private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();
    private final Map<String, String> etags = new ConcurrentHashMap<>();
    private final AtomicLong counter = new AtomicLong();
    public final List<Seen> seen = new CopyOnWriteArrayList<>();

    public volatile boolean honourConditions = true;
    public volatile boolean weakEtags;
    public volatile boolean etagOnPut = true;
    /** When set, every request is answered with this status and no body. */
    public volatile int fixedStatus;
    /** Extra header sent with {@link #fixedStatus}, e.g. a Location. */
    public volatile String fixedHeader;
    /** When set, GET answers announce this many more bytes than they send, then close. */
    public volatile int truncateBy;
    /** When set, every answer comes this late: a slow server or link, not a synchronisation. */
    public volatile long answerDelayMillis;
    /** When set, PUT answers 409 (a missing parent collection, RFC 4918) until an MKCOL arrives. */
    public volatile boolean collectionsMissing;

    /** Starts the server on a free loopback port. */
    public ObjectServerDouble() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        server.start();
    }

    /** The base URL objects live under, ending with {@code /}. */
    public URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/store/");
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            headers.putAll(ex.getRequestHeaders());
            seen.add(new Seen(ex.getRequestMethod(), path, headers));
            byte[] in;
            try (InputStream body = ex.getRequestBody()) {
                in = body.readAllBytes();
            }
            if (answerDelayMillis > 0) {
                try {
                    Thread.sleep(answerDelayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (fixedStatus != 0) {
                if (fixedHeader != null) {
                    int colon = fixedHeader.indexOf(':');
                    ex.getResponseHeaders().add(fixedHeader.substring(0, colon), fixedHeader.substring(colon + 1).strip());
                }
                ex.sendResponseHeaders(fixedStatus, -1);
                return;
            }
            switch (ex.getRequestMethod()) {
                case "GET":
                case "HEAD":
                    get(ex, path);
                    return;
                case "PUT":
                    if (collectionsMissing) {
                        ex.sendResponseHeaders(409, -1);
                        return;
                    }
                    put(ex, path, in);
                    return;
                case "DELETE":
                    delete(ex, path);
                    return;
                case "MKCOL":
                    collectionsMissing = false;
                    ex.sendResponseHeaders(201, -1);
                    return;
                default:
                    ex.sendResponseHeaders(405, -1);
            }
        }
    }

    private void get(HttpExchange ex, String path) throws IOException {
        byte[] body = bodies.get(path);
        if (body == null) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        ex.getResponseHeaders().add("ETag", etags.get(path));
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(200, -1);
            return;
        }
        ex.sendResponseHeaders(200, body.length + truncateBy);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private synchronized void put(HttpExchange ex, String path, byte[] in) throws IOException {
        String current = etags.get(path);
        String ifMatch = ex.getRequestHeaders().getFirst("If-Match");
        String ifNoneMatch = ex.getRequestHeaders().getFirst("If-None-Match");
        if (honourConditions && ((ifNoneMatch != null && current != null) || (ifMatch != null && !ifMatch.equals(current)))) {
            ex.sendResponseHeaders(412, -1);
            return;
        }
        String etag = (weakEtags ? "W/" : "") + "\"v" + counter.incrementAndGet() + "\"";
        bodies.put(path, in);
        etags.put(path, etag);
        if (etagOnPut) {
            ex.getResponseHeaders().add("ETag", etag);
        }
        ex.sendResponseHeaders(current == null ? 201 : 204, -1);
    }

    private synchronized void delete(HttpExchange ex, String path) throws IOException {
        String current = etags.get(path);
        String ifMatch = ex.getRequestHeaders().getFirst("If-Match");
        if (current == null) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        if (honourConditions && ifMatch != null && !ifMatch.equals(current)) {
            ex.sendResponseHeaders(412, -1);
            return;
        }
        bodies.remove(path);
        etags.remove(path);
        ex.sendResponseHeaders(204, -1);
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
