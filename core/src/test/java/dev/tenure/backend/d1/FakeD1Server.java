package dev.tenure.backend.d1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenure.backend.sql.FakeSqlServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sqlite.SQLiteLimits;

/**
 * A fake Cloudflare D1 REST query endpoint, executing the SQL for real on SQLite. Built from the
 * public documents:
 * <ul>
 *   <li>"Query D1 Database", {@code POST /accounts/{account_id}/d1/database/{database_id}/query}:
 *       a body of {@code {"sql", "params"}} or {@code {"batch": [{"sql", "params"}]}} with params
 *       an array of strings; an answer in the v4 envelope {@code {"errors": [{"code", "message"}],
 *       "messages", "result": [{"meta", "results", "success"}], "success"}}:
 *       https://developers.cloudflare.com/api/resources/d1/subresources/database/methods/query/</li>
 *   <li>D1 limits (100,000-byte statements, 100 bound parameters, strings and rows of at most
 *       1,000,000 bytes in the older table; 2,000,000 now):
 *       https://developers.cloudflare.com/d1/platform/limits/</li>
 *   <li>batches are transactions, rolled back when a statement fails; no BEGIN or COMMIT:
 *       https://developers.cloudflare.com/d1/worker-api/d1-database/</li>
 *   <li>error messages end with the SQLite code ("...: SQLITE_ERROR"), code 7500; invalid SQL is
 *       HTTP 400 on the REST API (D1 changelog, 2024-04-15); transient errors such as "Network
 *       connection lost": https://developers.cloudflare.com/d1/observability/debug-d1/</li>
 * </ul>
 * The fake's own choices where the documents say nothing: a wrong token is 401 with code 10000
 * ("Authentication error"); a malformed body or a non-string parameter is 400 with code 7400; an
 * unknown account or database is 404 with code 7404; statements run one request at a time (a D1
 * database is a single Durable Object). Test code only.
 */
public final class FakeD1Server extends FakeSqlServer {

    /** The account id tests use. */
    public static final String ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";
    /** The database id tests use. */
    public static final String DATABASE = "4a7b5e0c-9a77-4a5d-8f6e-0f6b9f1c2d3e";

    private final Object lock = new Object();
    private Connection connection;

    /** A fake demanding {@code Authorization: Bearer <token>}. */
    public FakeD1Server(String token) throws IOException {
        super(token, Map.of(SQLiteLimits.SQLITE_LIMIT_LENGTH, 1_000_000, SQLiteLimits.SQLITE_LIMIT_SQL_LENGTH, 100_000,
                SQLiteLimits.SQLITE_LIMIT_VARIABLE_NUMBER, 100));
    }

    /** The query path of the test database. */
    public static String queryPath() {
        return "/accounts/" + ACCOUNT + "/d1/database/" + DATABASE + "/query";
    }

    @Override
    protected Answer unauthorized() {
        return failure(401, 10000, "Authentication error");
    }

    @Override
    protected Answer handle(String method, String path, String body) {
        if (!path.equals(queryPath())) {
            return failure(404, 7404, "The database could not be found (no D1 database at " + path + ")");
        }
        if (!method.equals("POST")) {
            return failure(405, 10405, "Method not allowed");
        }
        JsonNode request = parse(body);
        List<JsonNode> queries = new ArrayList<>();
        if (request.isObject() && request.path("batch").isArray()) {
            request.get("batch").forEach(queries::add);
        } else if (request.isObject() && request.has("sql")) {
            queries.add(request);
        } else {
            return failure(400, 7400, "The request is malformed: expected {sql, params} or {batch: [...]}");
        }
        List<String> sqls = new ArrayList<>();
        List<List<Object>> params = new ArrayList<>();
        for (JsonNode q : queries) {
            if (!q.isObject() || !q.path("sql").isTextual()) {
                return failure(400, 7400, "The request is malformed: every query needs a string `sql`");
            }
            String sql = q.get("sql").asText();
            String first = sql.strip().split("\\s+", 2)[0].toUpperCase(Locale.ROOT);
            if (List.of("BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE").contains(first)) {
                return failure(400, 7500, "not authorized to use " + first + "; D1 runs each batch as one transaction: SQLITE_AUTH");
            }
            if (sql.contains(";")) {
                return failure(400, 7400, "FakeD1Server does not implement several statements in one sql string");
            }
            if (sql.getBytes(StandardCharsets.UTF_8).length > 100_000) {
                return failure(400, 7500, "statement too long: SQLITE_TOOBIG");
            }
            JsonNode p = q.path("params");
            List<Object> args = new ArrayList<>();
            if (!p.isMissingNode()) {
                if (!p.isArray()) {
                    return failure(400, 7400, "The request is malformed: `params` must be an array of strings");
                }
                for (JsonNode v : p) {
                    if (!v.isTextual()) {
                        return failure(400, 7400, "The request is malformed: `params` must be an array of strings, got " + v.getNodeType());
                    }
                    args.add(v.asText());
                }
            }
            sqls.add(sql);
            params.add(args);
        }
        try {
            // Hooks run before the database is taken, so that a hook's own requests can use it.
            for (String sql : sqls) {
                trap(sql);
            }
            return new Answer(200, envelope(runBatch(sqls, params)).toString());
        } catch (StatementFailure e) {
            return failure(400, 7500, e.getMessage() + ": " + e.code());
        }
    }

    private List<Result> runBatch(List<String> sqls, List<List<Object>> params) throws StatementFailure {
        synchronized (lock) {
            try {
                if (connection == null) {
                    connection = connect();
                }
                connection.setAutoCommit(false);
                List<Result> results = new ArrayList<>();
                try {
                    for (int i = 0; i < sqls.size(); i++) {
                        results.add(run(connection, sqls.get(i), params.get(i)));
                    }
                    connection.commit();
                    return results;
                } catch (StatementFailure e) {
                    connection.rollback();
                    throw e;
                }
            } catch (SQLException e) {
                throw new StatementFailure("SQLITE_ERROR", e.getMessage());
            }
        }
    }

    private ObjectNode envelope(List<Result> results) {
        ObjectNode out = json.createObjectNode();
        ArrayNode result = out.putArray("result");
        for (Result r : results) {
            ObjectNode one = result.addObject();
            ArrayNode rows = one.putArray("results");
            for (List<Object> row : r.rows()) {
                ObjectNode object = rows.addObject();
                for (int i = 0; i < r.columns().size(); i++) {
                    put(object, r.columns().get(i), row.get(i));
                }
            }
            one.put("success", true);
            ObjectNode meta = one.putObject("meta");
            meta.put("changed_db", r.changes() > 0);
            meta.put("changes", r.changes());
            meta.put("duration", 0.1);
            meta.put("last_row_id", 0);
            meta.put("rows_read", r.rows().size());
            meta.put("rows_written", r.changes());
            meta.put("size_after", 0);
        }
        out.putArray("errors");
        out.putArray("messages");
        out.put("success", true);
        return out;
    }

    private static void put(ObjectNode row, String column, Object cell) {
        if (cell == null) {
            row.putNull(column);
        } else if (cell instanceof Long l) {
            row.put(column, l);
        } else if (cell instanceof Double d) {
            row.put(column, d);
        } else if (cell instanceof String s) {
            row.put(column, s);
        } else if (cell instanceof byte[] b) {
            ArrayNode bytes = row.putArray(column);
            for (byte x : b) {
                bytes.add(x & 0xFF);
            }
        } else {
            throw new IllegalStateException("unexpected cell " + cell.getClass());
        }
    }

    /** An answer in the v4 envelope with one error. */
    public Answer failure(int status, int code, String message) {
        return new Answer(status, failureBody(code, message));
    }

    /** The body of a v4 envelope with one error, for injected faults. */
    public String failureBody(int code, String message) {
        ObjectNode out = json.createObjectNode();
        ArrayNode errors = out.putArray("errors");
        errors.addObject().put("code", code).put("message", message);
        out.putArray("messages");
        out.putNull("result");
        out.put("success", false);
        return out.toString();
    }

    @Override
    protected void closeConnections() {
        synchronized (lock) {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // the database is deleted with the server
                }
            }
        }
    }
}
