package dev.tenure.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A stand-in for Google Cloud Storage's XML API, written from its documentation, only as far as
 * {@code tenure verify gs://...} needs: path-style PUT, GET, HEAD and DELETE of objects with
 * {@code x-goog-if-generation-match} (0: no live object; otherwise the live generation, else 412),
 * {@code x-goog-generation} and {@code x-goog-meta-*} in answers, and a plain ListObjectsV2. Every
 * request is handled under one lock, so it is atomic by construction: it shows that the command
 * and the backend drive GCS's protocol end to end, never that GCS itself is atomic.
 */
final class FakeGcsXmlServer implements AutoCloseable {

    private record StoredObject(byte[] body, long generation, String sha256) {
    }

    private final HttpServer server;
    private final Map<String, StoredObject> objects = new TreeMap<>();
    private long nextGeneration = 1_764_400_000_000_001L;

    FakeGcsXmlServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(16));
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            byte[] body = x.getRequestBody().readAllBytes();
            String path = URLDecoder.decode(x.getRequestURI().getRawPath(), StandardCharsets.UTF_8).substring(1);
            int slash = path.indexOf('/');
            String key = slash < 0 ? "" : path.substring(slash + 1);
            String condition = x.getRequestHeaders().getFirst("x-goog-if-generation-match");
            synchronized (this) {
                switch (x.getRequestMethod()) {
                    case "PUT" -> put(x, key, body, condition);
                    case "GET" -> {
                        if (key.isEmpty()) {
                            list(x);
                        } else {
                            read(x, key, true);
                        }
                    }
                    case "HEAD" -> read(x, key, false);
                    case "DELETE" -> delete(x, key, condition);
                    default -> send(x, 405, Map.of(), new byte[0]);
                }
            }
        }
    }

    private boolean holds(String condition, StoredObject current) {
        if (condition == null) {
            return true;
        }
        long wanted = Long.parseLong(condition);
        return wanted == 0 ? current == null : current != null && current.generation() == wanted;
    }

    private void put(HttpExchange x, String key, byte[] body, String condition) throws IOException {
        if (!holds(condition, objects.get(key))) {
            error(x, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.");
            return;
        }
        long generation = nextGeneration++;
        objects.put(key, new StoredObject(body, generation, x.getRequestHeaders().getFirst("x-goog-meta-tenure-sha256")));
        send(x, 200, Map.of("x-goog-generation", Long.toString(generation), "ETag", "\"g" + generation + "\""), new byte[0]);
    }

    private void read(HttpExchange x, String key, boolean withBody) throws IOException {
        StoredObject o = objects.get(key);
        if (o == null) {
            if (withBody) {
                error(x, 404, "NoSuchKey", "The specified key does not exist.");
            } else {
                x.sendResponseHeaders(404, -1);
            }
            return;
        }
        Map<String, String> headers = new HashMap<>(Map.of("x-goog-generation", Long.toString(o.generation()),
                "ETag", "\"g" + o.generation() + "\""));
        if (o.sha256() != null) {
            headers.put("x-goog-meta-tenure-sha256", o.sha256());
        }
        headers.forEach((k, v) -> x.getResponseHeaders().add(k, v));
        if (withBody) {
            x.sendResponseHeaders(200, o.body().length == 0 ? -1 : o.body().length);
            x.getResponseBody().write(o.body());
        } else {
            x.getResponseHeaders().add("Content-Length", Integer.toString(o.body().length));
            x.sendResponseHeaders(200, -1);
        }
    }

    private void delete(HttpExchange x, String key, String condition) throws IOException {
        StoredObject current = objects.get(key);
        if (condition != null && current == null) {
            error(x, 404, "NoSuchKey", "The specified key does not exist.");
        } else if (!holds(condition, current)) {
            error(x, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.");
        } else {
            objects.remove(key);
            x.sendResponseHeaders(204, -1);
        }
    }

    private void list(HttpExchange x) throws IOException {
        String prefix = "";
        String query = x.getRequestURI().getRawQuery();
        for (String part : query == null ? new String[0] : query.split("&")) {
            if (part.startsWith("prefix=")) {
                prefix = URLDecoder.decode(part.substring("prefix=".length()), StandardCharsets.UTF_8);
            }
        }
        StringBuilder xml = new StringBuilder("<?xml version='1.0' encoding='UTF-8'?><ListBucketResult"
                + " xmlns=\"http://doc.s3.amazonaws.com/2006-03-01\"><IsTruncated>false</IsTruncated>");
        for (Map.Entry<String, StoredObject> e : objects.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                xml.append("<Contents><Key>").append(e.getKey()).append("</Key><Size>").append(e.getValue().body().length)
                        .append("</Size></Contents>");
            }
        }
        xml.append("</ListBucketResult>");
        send(x, 200, Map.of("Content-Type", "application/xml"), xml.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void error(HttpExchange x, int status, String code, String message) throws IOException {
        send(x, status, Map.of("Content-Type", "application/xml; charset=UTF-8"), ("<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
                + code + "</Code><Message>" + message + "</Message></Error>").getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange x, int status, Map<String, String> headers, byte[] body) throws IOException {
        headers.forEach((k, v) -> x.getResponseHeaders().add(k, v));
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }
}
