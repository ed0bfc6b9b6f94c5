package dev.tenure.backend.turso;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.internal.HttpCalls;
import dev.tenure.backend.internal.HttpCalls.Op;
import dev.tenure.backend.internal.JsonHttp;
import dev.tenure.backend.sql.wire.Rows;
import dev.tenure.backend.sql.wire.SqlErrors;
import dev.tenure.backend.sql.wire.SqlWire;
import dev.tenure.backend.sql.wire.SqlValue;
import dev.tenure.backend.sql.wire.SqlStatement;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hrana over HTTP, JSON encoding, as the Hrana 3 specification ("Hrana over HTTP") and sqld's
 * HTTP API v2 specification describe it: {@code POST <base>/v2/pipeline} with
 * {@code {"baton", "requests"}}, typed values (integers as decimal strings, blobs as base64),
 * per-request results of type {@code ok} or {@code error}.
 *
 * <p>A write is one {@code batch} request whose steps are {@code BEGIN IMMEDIATE}, the statements
 * (each on condition that the previous step succeeded), {@code COMMIT}, and {@code ROLLBACK} on
 * condition that the commit did not succeed; then {@code close}. A pipeline executes every request
 * even after an error, so separate {@code execute} requests could not be made all-or-nothing.
 *
 * <p>A snapshot opens a stream with {@code BEGIN} and its first reads, follows the baton (and any
 * {@code base_url}) from answer to answer, and ends with {@code ROLLBACK} and {@code close}: all
 * its reads see one state of the database.
 */
final class HranaWire implements SqlWire {

    private static final Logger LOG = LoggerFactory.getLogger(HranaWire.class);

    private final JsonHttp http;
    private final URI base;

    HranaWire(TursoSettings settings) {
        this.http = new JsonHttp(settings.options().connectTimeout(), settings.options().requestTimeout(), settings.token());
        this.base = settings.endpoint();
    }

    @Override
    public BlobEncoding blobEncoding() {
        return BlobEncoding.NATIVE;
    }

    @Override
    public List<Rows> atomically(List<SqlStatement> statements, Op op, String key) {
        String where = where(op, key);
        boolean transaction = statements.size() > 1 || op.mutation();
        int offset = transaction ? 1 : 0;
        ObjectNode body = http.object();
        body.putNull("baton");
        ArrayNode requests = body.putArray("requests");
        ObjectNode batch = requests.addObject().put("type", "batch");
        ArrayNode steps = batch.putObject("batch").putArray("steps");
        if (transaction) {
            step(steps, SqlStatement.of(op.mutation() ? "BEGIN IMMEDIATE" : "BEGIN"), -1);
        }
        for (int i = 0; i < statements.size(); i++) {
            step(steps, statements.get(i), offset + i - 1);
        }
        if (transaction) {
            int last = offset + statements.size() - 1;
            step(steps, SqlStatement.of("COMMIT"), last);
            ObjectNode rollback = step(steps, SqlStatement.of("ROLLBACK"), -1);
            rollback.putObject("condition").put("type", "not").putObject("cond").put("type", "ok").put("step", last + 1);
        }
        requests.addObject().put("type", "close");

        Pipeline answer = pipeline(base, body, requests.size(), key, op, where);
        JsonNode result = response(answer, 0, "batch", key, op, where).path("result");
        for (JsonNode error : result.path("step_errors")) {
            if (error.isObject()) {
                throw statementError(error, key, op, where);
            }
        }
        response(answer, 1, "close", key, op, where);
        JsonNode stepResults = result.path("step_results");
        List<Rows> out = new ArrayList<>(statements.size());
        for (int i = 0; i < statements.size(); i++) {
            JsonNode r = stepResults.path(offset + i);
            if (!r.isObject()) {
                throw unexpected(key, where, "step " + (offset + i) + " of the batch has no result and no error");
            }
            out.add(rows(r, key, where));
        }
        return out;
    }

    @Override
    public Snapshot snapshot(String key) {
        return new HranaSnapshot(key);
    }

    @Override
    public void close() {
        // java.net.http's client of Java 17 has nothing to close; its threads end with it.
    }

    /** A read transaction held open on one Hrana stream. Used by one thread at a time. */
    private final class HranaSnapshot implements Snapshot {
        private final String key;
        private final String where;
        private URI url = base;
        private String baton;
        private boolean begun;
        private boolean closed;

        HranaSnapshot(String key) {
            this.key = key;
            this.where = where(Op.READ, key);
        }

        @Override
        public List<Rows> read(List<SqlStatement> statements) {
            if (closed) {
                throw new IllegalStateException("snapshot closed");
            }
            if (begun && baton == null) {
                throw BackendException.transport(key, false, where + ": the server closed the stream that held the read"
                        + " transaction; read again", null);
            }
            ObjectNode body = http.object();
            if (baton == null) {
                body.putNull("baton");
            } else {
                body.put("baton", baton);
            }
            ArrayNode requests = body.putArray("requests");
            int offset = begun ? 0 : 1;
            if (!begun) {
                requests.addObject().put("type", "execute").set("stmt", stmt(SqlStatement.of("BEGIN")));
            }
            for (SqlStatement s : statements) {
                requests.addObject().put("type", "execute").set("stmt", stmt(s));
            }
            Pipeline answer;
            try {
                answer = pipeline(url, body, requests.size(), key, Op.READ, where);
            } catch (BackendException e) {
                // An HTTP error means the stream is no longer valid (Hrana spec, "Errors").
                begun = true;
                baton = null;
                throw e;
            }
            begun = true;
            baton = answer.baton();
            if (answer.baseUrl() != null) {
                url = answer.baseUrl();
            }
            List<Rows> out = new ArrayList<>(statements.size());
            for (int i = 0; i < requests.size(); i++) {
                JsonNode r = response(answer, i, "execute", key, Op.READ, where);
                if (i >= offset) {
                    out.add(rows(r.path("result"), key, where));
                }
            }
            return out;
        }

        @Override
        public boolean consistent() {
            return true;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (baton == null) {
                return;
            }
            ObjectNode body = http.object();
            body.put("baton", baton);
            ArrayNode requests = body.putArray("requests");
            requests.addObject().put("type", "execute").set("stmt", stmt(SqlStatement.of("ROLLBACK")));
            requests.addObject().put("type", "close");
            baton = null;
            try {
                pipeline(url, body, 2, key, Op.READ, where);
            } catch (BackendException e) {
                // The server expires an abandoned stream by itself; nothing was written.
                LOG.debug("{}: could not close the read stream: {}", where, e.getMessage());
            }
        }
    }

    // ---- encoding ------------------------------------------------------------------------------

    private ObjectNode step(ArrayNode steps, SqlStatement statement, int okStep) {
        ObjectNode step = steps.addObject();
        if (okStep >= 0) {
            step.putObject("condition").put("type", "ok").put("step", okStep);
        }
        step.set("stmt", stmt(statement));
        return step;
    }

    private ObjectNode stmt(SqlStatement statement) {
        ObjectNode stmt = http.object();
        stmt.put("sql", statement.sql());
        ArrayNode args = stmt.putArray("args");
        for (SqlValue value : statement.args()) {
            ObjectNode arg = args.addObject();
            if (value instanceof SqlValue.Text t) {
                arg.put("type", "text").put("value", t.value());
            } else if (value instanceof SqlValue.Int i) {
                // A JSON number loses precision past 2^53 in some parsers, so Hrana sends integers as strings.
                arg.put("type", "integer").put("value", Long.toString(i.value()));
            } else if (value instanceof SqlValue.Blob b) {
                arg.put("type", "blob").put("base64", Base64.getEncoder().withoutPadding().encodeToString(b.bytes()));
            } else {
                throw new IllegalArgumentException("unsupported value " + value);
            }
        }
        stmt.put("want_rows", true);
        return stmt;
    }

    // ---- decoding ------------------------------------------------------------------------------

    private record Pipeline(String baton, URI baseUrl, JsonNode results) {
    }

    private Pipeline pipeline(URI url, ObjectNode body, int expected, String key, Op op, String where) {
        JsonHttp.Answer answer = http.post(URI.create(trimSlash(url.toString()) + "/v2/pipeline"), body, key, op, where);
        if (!answer.ok()) {
            throw httpError(answer, url, key, op, where);
        }
        JsonNode json = answer.json();
        if (json == null || !json.isObject() || !json.path("results").isArray() || json.path("results").size() != expected) {
            throw unexpected(key, where, "not a Hrana pipeline answer with " + expected + " results: "
                    + HttpCalls.abbreviate(answer.text()));
        }
        JsonNode baton = json.path("baton");
        if (!(baton.isMissingNode() || baton.isNull() || baton.isTextual())) {
            throw unexpected(key, where, "the baton is neither a string nor null");
        }
        return new Pipeline(baton.isTextual() ? baton.asText() : null, baseUrl(json.path("base_url"), url, key, where),
                json.path("results"));
    }

    /** A stream may be moved to another URL (sticky routing); never from HTTPS to plain HTTP, which would expose the token. */
    private URI baseUrl(JsonNode node, URI current, String key, String where) {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        try {
            URI next = new URI(node.asText());
            boolean web = "http".equals(next.getScheme()) || "https".equals(next.getScheme());
            if (!node.isTextual() || !web || next.getHost() == null
                    || ("https".equals(current.getScheme()) && "http".equals(next.getScheme()))) {
                throw unexpected(key, where, "the server moved the stream to an unusable base_url '" + node.asText() + "'");
            }
            return next;
        } catch (URISyntaxException e) {
            throw unexpected(key, where, "the server moved the stream to a malformed base_url");
        }
    }

    private JsonNode response(Pipeline answer, int index, String type, String key, Op op, String where) {
        JsonNode result = answer.results().path(index);
        String kind = result.path("type").asText("");
        if (kind.equals("error")) {
            throw statementError(result.path("error"), key, op, where);
        }
        JsonNode response = result.path("response");
        if (!kind.equals("ok") || !type.equals(response.path("type").asText(""))) {
            throw unexpected(key, where, "result " + index + " is not an '" + type + "' response");
        }
        return response;
    }

    private BackendException statementError(JsonNode error, String key, Op op, String where) {
        return SqlErrors.statementFailed(key, op, where, error.path("code").asText(null),
                http.scrub(error.path("message").asText("")));
    }

    private BackendException httpError(JsonHttp.Answer answer, URI url, String key, Op op, String where) {
        JsonNode json = answer.json();
        String detail;
        if (json != null && json.path("message").isTextual()) {
            detail = json.path("code").asText("") + " " + json.path("message").asText();
        } else if (json != null && json.path("error").isTextual()) {
            detail = json.path("error").asText();
        } else {
            detail = answer.text();
        }
        detail = http.scrub(detail);
        if (answer.status() == 404) {
            // Never "absent": the object store is a database that is not there.
            return BackendException.config(key, where + ": HTTP 404 (" + HttpCalls.abbreviate(detail) + "): no Hrana"
                    + " pipeline at " + url + "; is it a libSQL server, and does the database exist?", null);
        }
        return HttpCalls.statusError(key, op, where, answer.status(), detail);
    }

    private static Rows rows(JsonNode result, String key, String where) {
        List<String> columns = new ArrayList<>();
        for (JsonNode col : result.path("cols")) {
            columns.add(col.path("name").asText(""));
        }
        List<List<Object>> rows = new ArrayList<>();
        for (JsonNode row : result.path("rows")) {
            List<Object> cells = new ArrayList<>(columns.size());
            for (JsonNode value : row) {
                cells.add(value(value, key, where));
            }
            rows.add(cells);
        }
        return new Rows(columns, rows);
    }

    private static Object value(JsonNode value, String key, String where) {
        String type = value.path("type").asText("");
        try {
            switch (type) {
                case "null":
                    return null;
                case "integer":
                    return Long.parseLong(value.path("value").asText());
                case "float":
                    return value.path("value").asDouble();
                case "text":
                    return value.path("value").asText();
                case "blob":
                    return Base64.getDecoder().decode(value.path("base64").asText());
                default:
                    throw unexpected(key, where, "a value of unknown type '" + type + "'");
            }
        } catch (IllegalArgumentException e) {
            throw unexpected(key, where, "a malformed " + type + " value");
        }
    }

    private static BackendException unexpected(String key, String where, String what) {
        return BackendException.internal(key, where + ": unexpected answer: " + what, null);
    }

    private String where(Op op, String key) {
        return "libsql " + base.getHost() + " " + op.name().toLowerCase(Locale.ROOT)
                + (key == null ? "" : " '" + key + "'");
    }

    private static String trimSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
