package dev.tenure.backend.d1;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Cloudflare D1's REST query API, as Cloudflare's API reference ("Query D1 Database") describes
 * it: {@code POST .../d1/database/{id}/query} with {@code {"batch": [{"sql", "params"}]}}, answered
 * in the Cloudflare v4 envelope {@code {"success", "errors": [{"code", "message"}], "messages",
 * "result": [{"results": [row objects], "success", "meta"}]}}, one result per statement.
 *
 * <p>Parameters are strings ("params: array of string"), so integers go as decimal text (SQLite's
 * column affinity turns them back into integers) and blobs cannot be bound at all: chunks travel and
 * are stored as base64 text. A batch runs as one transaction (D1 client API, "batch statements are
 * SQL transactions"); D1 cannot hold a transaction across requests, so snapshots are not consistent.
 */
final class D1Wire implements SqlWire {

    /**
     * D1's documented transient errors (D1 "Debug D1", "Retry queries"): retry them. They may come
     * after the statement reached the database, so a write that fails with one is ambiguous.
     */
    private static final List<String> TRANSIENT = List.of("network connection lost", "storage caused object to be reset",
            "reset because its code was updated", "overloaded", "too many requests queued", "storage operation exceeded timeout");

    private final JsonHttp http;
    private final URI queryUrl;
    private final String database;

    D1Wire(D1Settings settings) {
        this.http = new JsonHttp(settings.options().connectTimeout(), settings.options().requestTimeout(),
                Optional.of(settings.token()));
        this.queryUrl = settings.queryUrl();
        this.database = settings.accountId() + "/" + settings.databaseId();
    }

    @Override
    public BlobEncoding blobEncoding() {
        return BlobEncoding.BASE64_TEXT;
    }

    @Override
    public List<Rows> atomically(List<SqlStatement> statements, Op op, String key) {
        String where = "d1 " + database + " " + op.name().toLowerCase(Locale.ROOT) + (key == null ? "" : " '" + key + "'");
        ObjectNode body = http.object();
        ArrayNode batch = body.putArray("batch");
        for (SqlStatement s : statements) {
            ObjectNode query = batch.addObject().put("sql", s.sql());
            if (!s.args().isEmpty()) {
                ArrayNode params = query.putArray("params");
                for (SqlValue v : s.args()) {
                    params.add(param(v));
                }
            }
        }
        JsonHttp.Answer answer = http.post(queryUrl, body, key, op, where);
        JsonNode json = answer.json();
        boolean success = json != null && json.path("success").asBoolean(false);
        if (!answer.ok() || !success) {
            throw error(answer, key, op, where);
        }
        JsonNode results = json.path("result");
        if (!results.isArray() || results.size() != statements.size()) {
            throw unexpected(key, where, "expected " + statements.size() + " results: " + HttpCalls.abbreviate(answer.text()));
        }
        List<Rows> out = new ArrayList<>(statements.size());
        for (JsonNode result : results) {
            if (!result.path("success").asBoolean(true) || !result.path("results").isArray()) {
                throw unexpected(key, where, "a statement result without rows or without success");
            }
            out.add(rows(result.path("results"), key, where));
        }
        return out;
    }

    private static String param(SqlValue value) {
        if (value instanceof SqlValue.Text t) {
            return t.value();
        }
        if (value instanceof SqlValue.Int i) {
            return Long.toString(i.value());
        }
        // The backend stores chunks as base64 text here (blobEncoding), so a blob never reaches this point.
        throw new IllegalArgumentException("D1's REST API binds strings only; cannot bind " + value);
    }

    @Override
    public Snapshot snapshot(String key) {
        return new Snapshot() {
            @Override
            public List<Rows> read(List<SqlStatement> statements) {
                return atomically(statements, Op.READ, key);
            }

            @Override
            public boolean consistent() {
                return false;
            }

            @Override
            public void close() {
                // Nothing is held between requests.
            }
        };
    }

    @Override
    public void close() {
        // java.net.http's client of Java 17 has nothing to close; its threads end with it.
    }

    /**
     * The error for a failed answer, by HTTP status first: 401 and 403 are AUTH whatever the code
     * says, 404 names a wrong account or database (never an absent object), 429 is throttling; then
     * D1's transient messages; then the SQLite code D1 appends to a statement's message.
     */
    private BackendException error(JsonHttp.Answer answer, String key, Op op, String where) {
        String detail = http.scrub(errors(answer));
        int status = answer.status();
        String lower = detail.toLowerCase(Locale.ROOT);
        if (status == 401 || status == 403 || status == 429) {
            return HttpCalls.statusError(key, op, where, status, detail);
        }
        if (status == 404) {
            return BackendException.config(key, where + ": HTTP 404 (" + HttpCalls.abbreviate(detail)
                    + "): no such D1 database; check the account id, the database id and the endpoint", null);
        }
        if (TRANSIENT.stream().anyMatch(lower::contains)) {
            return BackendException.transport(key, op.mutation(), where + ": HTTP " + status + " ("
                    + HttpCalls.abbreviate(detail) + "): transient D1 error, retry"
                    + (op.mutation() ? " (the write may have been applied)" : ""), null);
        }
        Optional<String> sqlite = SqlErrors.sqliteCodeIn(detail);
        if (sqlite.isPresent() && (status == 200 || status == 400)) {
            return SqlErrors.statementFailed(key, op, where, sqlite.get(), detail);
        }
        if (status == 200) {
            return unexpected(key, where, "success is not true: " + HttpCalls.abbreviate(detail));
        }
        return HttpCalls.statusError(key, op, where, status, detail);
    }

    /** The envelope's errors as "code: message; ...", or the body's text when it is not the envelope. */
    private static String errors(JsonHttp.Answer answer) {
        JsonNode errors = answer.json() == null ? null : answer.json().path("errors");
        if (errors == null || !errors.isArray() || errors.isEmpty()) {
            return answer.text();
        }
        StringBuilder out = new StringBuilder();
        for (JsonNode e : errors) {
            out.append(out.length() == 0 ? "" : "; ").append(e.path("code").asText("?")).append(": ")
                    .append(e.path("message").asText(""));
        }
        return out.toString();
    }

    /** Rows are JSON objects keyed by column name, in column order. */
    private static Rows rows(JsonNode results, String key, String where) {
        List<String> columns = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        for (JsonNode row : results) {
            if (!row.isObject()) {
                throw unexpected(key, where, "a row that is not an object");
            }
            if (rows.isEmpty()) {
                row.fieldNames().forEachRemaining(columns::add);
            }
            List<Object> cells = new ArrayList<>(columns.size());
            for (String column : columns) {
                cells.add(cell(row.path(column), key, where));
            }
            rows.add(cells);
        }
        return new Rows(columns, rows);
    }

    private static Object cell(JsonNode value, String key, String where) {
        if (value.isMissingNode()) {
            throw unexpected(key, where, "rows with different columns");
        }
        if (value.isNull()) {
            return null;
        }
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            return value.asLong();
        }
        if (value.isNumber()) {
            return value.asDouble();
        }
        if (value.isTextual()) {
            return value.asText();
        }
        if (value.isBoolean()) {
            return value.asBoolean() ? 1L : 0L;
        }
        if (value.isArray()) {
            // D1 answers a BLOB as an array of byte values.
            byte[] bytes = new byte[value.size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) value.get(i).asInt();
            }
            return bytes;
        }
        throw unexpected(key, where, "a cell of unexpected JSON type " + value.getNodeType());
    }

    private static BackendException unexpected(String key, String where, String what) {
        return BackendException.internal(key, where + ": unexpected answer: " + what, null);
    }
}
