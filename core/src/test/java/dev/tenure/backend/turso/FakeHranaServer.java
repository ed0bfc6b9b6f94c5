package dev.tenure.backend.turso;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenure.backend.sql.FakeSqlServer;
import java.io.IOException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake libSQL server: Hrana over HTTP with JSON encoding, executing the SQL for real on SQLite.
 * Built from the public protocol documents, not from sqld's code:
 * <ul>
 *   <li>Hrana 3 specification, "Hrana over HTTP" and "Shared structures":
 *       https://github.com/tursodatabase/libsql/blob/main/docs/HRANA_3_SPEC.md</li>
 *   <li>sqld HTTP API v2 ("Hrana over HTTP"):
 *       https://github.com/tursodatabase/libsql/blob/main/docs/HTTP_V2_SPEC.md</li>
 *   <li>error codes and HTTP statuses as sqld reports them: libsql-server's
 *       {@code src/hrana/stmt.rs} (statement error codes), {@code src/hrana/http/mod.rs}
 *       (protocol errors are 400 text, an expired stream is 500 with code STREAM_EXPIRED) and
 *       {@code src/hrana/http/stream.rs} (batons are single-use; streams expire after 10 s idle);
 *       blobs are answered base64 without padding, as libsql-hrana's {@code proto.rs} encodes them.</li>
 * </ul>
 * Strict where the documents are: the bearer token, {@code baton} present (string or null),
 * {@code requests} an array, every value typed ({@code integer} only as a decimal string), exactly
 * one of {@code sql}/{@code sql_id}, batch conditions referring only to earlier steps, batons
 * never reused. Not implemented (answered 400): {@code sql_id}, named arguments, {@code sequence},
 * {@code describe}, {@code store_sql}, {@code close_sql}, {@code get_autocommit},
 * {@code is_autocommit} conditions, cursors, Protobuf. Test code only.
 */
public final class FakeHranaServer extends FakeSqlServer {

    /** A Hrana stream: one SQLite connection. */
    private static final class Stream {
        final Connection connection;
        volatile boolean closed;
        volatile boolean expired;

        Stream(Connection connection) {
            this.connection = connection;
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    /** Every open stream, including those in use by a request right now (which are not in {@link #streams}). */
    private final Set<Stream> live = ConcurrentHashMap.newKeySet();
    private final Set<String> spentBatons = ConcurrentHashMap.newKeySet();
    private final List<String> pipelinePaths = new CopyOnWriteArrayList<>();
    private volatile String baseUrl;

    /** A server demanding {@code Authorization: Bearer <token>}; null for a server without authentication. */
    public FakeHranaServer(String token) throws IOException {
        super(token, Map.of());
    }

    /** From now on, every answer tells the client to send further requests of the stream to {@code url}. */
    public void advertiseBaseUrl(String url) {
        this.baseUrl = url;
    }

    /** The path of every pipeline request, in order. */
    public List<String> pipelinePaths() {
        return List.copyOf(pipelinePaths);
    }

    /** Expires every open stream, as sqld does after 10 s without a request; the next use answers STREAM_EXPIRED. */
    public void expireAllStreams() {
        live.forEach(s -> s.expired = true);
    }

    /** How many streams are open (not closed, not expired). */
    public int openStreams() {
        return (int) live.stream().filter(s -> !s.expired).count();
    }

    @Override
    protected Answer unauthorized() {
        return new Answer(401, "{\"error\":\"Unauthorized: the Authorization header is missing or its token is invalid\"}");
    }

    @Override
    protected Answer handle(String method, String path, String body) {
        if (method.equals("GET") && path.endsWith("/v2")) {
            return new Answer(200, "Hello, this is HTTP API v2 (Hrana over HTTP)");
        }
        if (!method.equals("POST") || !path.endsWith("/v2/pipeline")) {
            return new Answer(404, "Not Found");
        }
        pipelinePaths.add(path);
        JsonNode request = parse(body);
        if (!request.isObject() || !request.has("baton") || !(request.get("baton").isNull() || request.get("baton").isTextual())) {
            throw new Refusal(400, "Cannot deserialize client message from JSON: missing or invalid field `baton`");
        }
        if (!request.path("requests").isArray()) {
            throw new Refusal(400, "Cannot deserialize client message from JSON: missing or invalid field `requests`");
        }
        Stream stream = acquire(request.get("baton"));
        ObjectNode answer = json.createObjectNode();
        ArrayNode results = json.createArrayNode();
        try {
            for (JsonNode r : request.get("requests")) {
                results.add(streamRequest(stream, r));
            }
        } catch (Refusal protocolError) {
            close(stream);
            throw protocolError;
        }
        if (stream.closed) {
            answer.putNull("baton");
        } else {
            String next = newBaton();
            streams.put(next, stream);
            answer.put("baton", next);
        }
        if (baseUrl == null) {
            answer.putNull("base_url");
        } else {
            answer.put("base_url", baseUrl);
        }
        answer.set("results", results);
        return new Answer(200, answer.toString());
    }

    private Stream acquire(JsonNode baton) {
        if (baton.isNull()) {
            try {
                Stream stream = new Stream(connect());
                live.add(stream);
                return stream;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
        // Removed while in use, so a baton sent twice (or concurrently) is refused.
        Stream stream = streams.remove(baton.asText());
        if (stream == null) {
            throw new Refusal(400, spentBatons.contains(baton.asText())
                    ? "Received a baton that has already been used" : "Received an invalid baton");
        }
        spentBatons.add(baton.asText());
        if (stream.expired) {
            close(stream);
            throw new Refusal(500, "{\"message\":\"The stream has expired due to inactivity\",\"code\":\"STREAM_EXPIRED\"}");
        }
        return stream;
    }

    private String newBaton() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private ObjectNode streamRequest(Stream stream, JsonNode r) {
        String type = r.path("type").asText("");
        if (stream.closed) {
            throw new Refusal(400, "Stream for this baton was closed");
        }
        switch (type) {
            case "execute": {
                SqlStatement stmt = stmt(r.get("stmt"));
                try {
                    ObjectNode response = ok("execute");
                    response.set("result", execute(stream, stmt));
                    return wrap(response);
                } catch (StatementFailure e) {
                    return error(e);
                }
            }
            case "batch": {
                ObjectNode response = ok("batch");
                response.set("result", batch(stream, r.path("batch")));
                return wrap(response);
            }
            case "close":
                close(stream);
                return wrap(ok("close"));
            case "sequence":
            case "describe":
            case "store_sql":
            case "close_sql":
            case "get_autocommit":
                throw new Refusal(400, "FakeHranaServer does not implement '" + type + "'");
            default:
                throw new Refusal(400, "Cannot deserialize client message from JSON: unknown StreamRequest type '" + type + "'");
        }
    }

    private ObjectNode ok(String type) {
        ObjectNode response = json.createObjectNode();
        response.put("type", type);
        return response;
    }

    private ObjectNode wrap(ObjectNode response) {
        ObjectNode result = json.createObjectNode();
        result.put("type", "ok");
        result.set("response", response);
        return result;
    }

    private ObjectNode error(StatementFailure e) {
        ObjectNode result = json.createObjectNode();
        result.put("type", "error");
        result.set("error", errorObject(e));
        return result;
    }

    private ObjectNode errorObject(StatementFailure e) {
        ObjectNode error = json.createObjectNode();
        error.put("message", "SQLite error: " + e.getMessage());
        error.put("code", e.code());
        return error;
    }

    // ---- statements and values -----------------------------------------------------------------

    private record SqlStatement(String sql, List<Object> args, boolean wantRows) {
    }

    private SqlStatement stmt(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new Refusal(400, "Cannot deserialize client message from JSON: missing field `stmt`");
        }
        boolean hasSql = node.hasNonNull("sql");
        boolean hasSqlId = node.hasNonNull("sql_id");
        if (hasSql == hasSqlId) {
            throw new Refusal(400, hasSql ? "Either `sql` or `sql_id` are required, but not both" : "Either `sql` or `sql_id` are required");
        }
        if (hasSqlId) {
            throw new Refusal(400, "FakeHranaServer does not implement `sql_id`");
        }
        if (!node.get("sql").isTextual()) {
            throw new Refusal(400, "Cannot deserialize client message from JSON: `sql` must be a string");
        }
        if (node.path("named_args").isArray() && !node.path("named_args").isEmpty()) {
            throw new Refusal(400, "FakeHranaServer does not implement named arguments");
        }
        JsonNode args = node.path("args");
        if (!args.isMissingNode() && !args.isArray()) {
            throw new Refusal(400, "Cannot deserialize client message from JSON: `args` must be an array");
        }
        List<Object> values = new ArrayList<>();
        for (JsonNode arg : args) {
            values.add(value(arg));
        }
        JsonNode wantRows = node.path("want_rows");
        if (!wantRows.isMissingNode() && !wantRows.isNull() && !wantRows.isBoolean()) {
            throw new Refusal(400, "Cannot deserialize client message from JSON: `want_rows` must be a boolean");
        }
        return new SqlStatement(node.get("sql").asText(), values, wantRows.asBoolean(true));
    }

    private static Object value(JsonNode v) {
        String type = v.path("type").asText("");
        JsonNode value = v.path("value");
        switch (type) {
            case "null":
                return null;
            case "integer":
                // sqld reads integers as decimal strings only ("i64_as_str"); a JSON number is refused.
                if (!value.isTextual() || !value.asText().matches("-?[0-9]{1,19}")) {
                    throw new Refusal(400, "invalid value: expected decimal integer as a string, got " + value);
                }
                try {
                    return Long.parseLong(value.asText());
                } catch (NumberFormatException e) {
                    throw new Refusal(400, "invalid value: integer out of range");
                }
            case "float":
                if (!value.isNumber()) {
                    throw new Refusal(400, "invalid value: float must be a number");
                }
                return value.asDouble();
            case "text":
                if (!value.isTextual()) {
                    throw new Refusal(400, "invalid value: text must be a string");
                }
                return value.asText();
            case "blob":
                JsonNode base64 = v.path("base64");
                if (!base64.isTextual()) {
                    throw new Refusal(400, "invalid value: blob needs a `base64` string");
                }
                try {
                    String text = base64.asText().replaceAll("=+$", "");
                    return Base64.getDecoder().decode(text);
                } catch (IllegalArgumentException e) {
                    throw new Refusal(400, "invalid value: binary data encoded as base64 expected");
                }
            default:
                throw new Refusal(400, "Value type not recognized: '" + type + "'");
        }
    }

    private ObjectNode execute(Stream stream, SqlStatement stmt) throws StatementFailure {
        trap(stmt.sql());
        Result r = run(stream.connection, stmt.sql(), stmt.args());
        ObjectNode result = json.createObjectNode();
        ArrayNode cols = result.putArray("cols");
        for (int i = 0; i < r.columns().size(); i++) {
            ObjectNode col = cols.addObject();
            col.put("name", r.columns().get(i));
            col.put("decltype", r.declTypes().get(i));
        }
        ArrayNode rows = result.putArray("rows");
        if (stmt.wantRows()) {
            for (List<Object> row : r.rows()) {
                ArrayNode cells = rows.addArray();
                for (Object cell : row) {
                    cells.add(encode(cell));
                }
            }
        }
        result.put("affected_row_count", r.changes());
        result.putNull("last_insert_rowid");
        result.put("rows_read", r.rows().size());
        result.put("rows_written", r.changes());
        result.put("query_duration_ms", 0.0);
        return result;
    }

    private ObjectNode encode(Object cell) {
        ObjectNode v = json.createObjectNode();
        if (cell == null) {
            v.put("type", "null");
        } else if (cell instanceof Long l) {
            v.put("type", "integer").put("value", Long.toString(l));
        } else if (cell instanceof Double d) {
            v.put("type", "float").put("value", d);
        } else if (cell instanceof String s) {
            v.put("type", "text").put("value", s);
        } else if (cell instanceof byte[] b) {
            v.put("type", "blob").put("base64", Base64.getEncoder().withoutPadding().encodeToString(b));
        } else {
            throw new IllegalStateException("unexpected cell " + cell.getClass());
        }
        return v;
    }

    // ---- batches -------------------------------------------------------------------------------

    private enum Outcome { SKIPPED, OK, ERROR }

    private ObjectNode batch(Stream stream, JsonNode batch) {
        JsonNode steps = batch.path("steps");
        if (!steps.isArray()) {
            throw new Refusal(400, "Cannot deserialize client message from JSON: missing field `steps`");
        }
        Outcome[] outcomes = new Outcome[steps.size()];
        ObjectNode result = json.createObjectNode();
        ArrayNode stepResults = result.putArray("step_results");
        ArrayNode stepErrors = result.putArray("step_errors");
        for (int i = 0; i < steps.size(); i++) {
            JsonNode step = steps.get(i);
            JsonNode condition = step.path("condition");
            boolean run = condition.isMissingNode() || condition.isNull() || evaluate(condition, i, outcomes);
            if (!run) {
                outcomes[i] = Outcome.SKIPPED;
                stepResults.addNull();
                stepErrors.addNull();
                continue;
            }
            SqlStatement stmt = stmt(step.get("stmt"));
            try {
                stepResults.add(execute(stream, stmt));
                stepErrors.addNull();
                outcomes[i] = Outcome.OK;
            } catch (StatementFailure e) {
                stepResults.addNull();
                stepErrors.add(errorObject(e));
                outcomes[i] = Outcome.ERROR;
            }
        }
        return result;
    }

    private static boolean evaluate(JsonNode cond, int current, Outcome[] outcomes) {
        String type = cond.path("type").asText("");
        switch (type) {
            case "ok":
            case "error": {
                JsonNode step = cond.path("step");
                if (!step.canConvertToInt() || step.asInt() < 0 || step.asInt() >= current) {
                    throw new Refusal(400, "Invalid reference to step in a batch condition");
                }
                return outcomes[step.asInt()] == (type.equals("ok") ? Outcome.OK : Outcome.ERROR);
            }
            case "not":
                return !evaluate(cond.path("cond"), current, outcomes);
            case "and":
            case "or": {
                boolean and = type.equals("and");
                boolean value = and;
                for (JsonNode c : cond.path("conds")) {
                    value = and ? value && evaluate(c, current, outcomes) : value || evaluate(c, current, outcomes);
                }
                return value;
            }
            default:
                throw new Refusal(400, "BatchCond type not recognized (or not implemented by FakeHranaServer): '" + type + "'");
        }
    }

    private void close(Stream stream) {
        stream.closed = true;
        live.remove(stream);
        try {
            stream.connection.close();
        } catch (SQLException ignored) {
            // closing rolls back whatever the stream left open
        }
    }

    @Override
    protected void closeConnections() {
        List.copyOf(live).forEach(this::close);
        streams.clear();
    }
}
