package dev.tenure.backend.sql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteException;
import org.sqlite.SQLiteLimits;

/**
 * What the fake SQL-over-HTTP servers share: an HTTP server on an ephemeral loopback port, a real
 * SQLite database (a file in WAL mode, so a reader's transaction keeps its snapshot while writers
 * commit, as in libSQL), bearer-token checking, a log of every SQL text executed, and injected
 * failures and hooks. Subclasses parse and answer one protocol. Test code only.
 */
public abstract class FakeSqlServer implements AutoCloseable {

    /** A statement that failed, with the code the protocol reports and SQLite's message. */
    public static final class StatementFailure extends Exception {
        private static final long serialVersionUID = 1L;
        private final String code;

        /** A failure with a SQLite-style code. */
        public StatementFailure(String code, String message) {
            super(message);
            this.code = code;
        }

        /** The code, such as {@code SQLITE_BUSY}. */
        public String code() {
            return code;
        }
    }

    /** A request the protocol itself refuses (HTTP 400 and the like), carried out of the parser. */
    public static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final String body;

        /** An answer of {@code status} with {@code body}. */
        public Refusal(int status, String body) {
            super(body);
            this.status = status;
            this.body = body;
        }
    }

    /** What one statement produced. */
    public record Result(List<String> columns, List<String> declTypes, List<List<Object>> rows, int changes) {
    }

    /**
     * A failure to inject into the next request for which {@code when} holds (on the request body).
     *
     * @param status the HTTP status to answer
     * @param body the body to answer (JSON or text)
     * @param afterApplying when true the request is carried out first, then its answer replaced
     */
    public record Fault(Predicate<String> when, int status, String body, boolean afterApplying) {

        /** The next request is refused with {@code status} and {@code body}, and nothing is done. */
        public static Fault refuse(int status, String body) {
            return new Fault(b -> true, status, body, false);
        }

        /** The next request is carried out, then answered with {@code status}: an answer lost after the fact. */
        public static Fault afterApplying(int status, String body) {
            return new Fault(b -> true, status, body, true);
        }

        /** The same fault, for the next request whose body contains {@code fragment}. */
        public Fault whenBodyContains(String fragment) {
            return new Fault(b -> b.contains(fragment), status, body, afterApplying);
        }

        /** The same fault, but letting the first {@code n} requests it would hit pass. */
        public Fault skipping(int n) {
            AtomicInteger seen = new AtomicInteger();
            Predicate<String> first = when;
            return new Fault(b -> first.test(b) && seen.incrementAndGet() > n, status, body, afterApplying);
        }
    }

    /** A statement failure to inject, and a hook to run, before statements whose SQL contains a fragment. */
    private record StatementTrap(String fragment, String code, String message, Runnable action, boolean once,
            AtomicInteger skip) {
    }

    protected final ObjectMapper json = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-sql-server");
        t.setDaemon(true);
        return t;
    });
    private final Path dir;
    private final Path database;
    private final String token;
    private final Map<SQLiteLimits, Integer> limits;
    private final ConcurrentLinkedDeque<Fault> faults = new ConcurrentLinkedDeque<>();
    private final List<StatementTrap> traps = new CopyOnWriteArrayList<>();
    private final List<String> sqlSeen = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger largestBody = new AtomicInteger();

    /**
     * Starts a server that demands {@code Authorization: Bearer <token>} (any request when token is null).
     *
     * @param limits SQLite limits to set on every connection (D1 sets its documented ones)
     */
    protected FakeSqlServer(String token, Map<SQLiteLimits, Integer> limits) throws IOException {
        this.token = token;
        this.limits = Map.copyOf(limits);
        this.dir = Files.createTempDirectory("tenure-fake-sql-");
        this.database = dir.resolve("db.sqlite");
        try (Connection c = connect()) {
            c.createStatement().execute("PRAGMA journal_mode=WAL");
        } catch (SQLException e) {
            throw new IOException(e);
        }
        // Without TCP_NODELAY, headers and body leave in two segments and every answer waits out the
        // client's delayed ACK (about 40 ms): the fake would measure Nagle, not the backend.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(threads);
        server.createContext("/", this::exchange);
        server.start();
    }

    /** Starts a fake server. */
    @FunctionalInterface
    public interface Starter<S extends FakeSqlServer> {
        /** Starts it. */
        S start() throws IOException;
    }

    /**
     * Starts a server that lives until the JVM exits: for suites whose jqwik tries make backends
     * outside JUnit's lifecycle, so no per-test hook could start or stop it.
     */
    public static <S extends FakeSqlServer> S untilExit(Starter<S> starter) {
        try {
            S server = starter.start();
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
            return server;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The server's base URL, {@code http://127.0.0.1:<port>}. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Injects a failure into a coming request. */
    public void inject(Fault fault) {
        faults.add(fault);
    }

    /** Makes the next statement whose SQL contains {@code fragment} fail with {@code code} instead of running. */
    public void failStatement(String fragment, String code, String message) {
        failStatement(fragment, code, message, 0);
    }

    /** Like {@link #failStatement(String, String, String)}, letting the first {@code skip} matches run. */
    public void failStatement(String fragment, String code, String message, int skip) {
        traps.add(new StatementTrap(fragment, code, message, null, true, new AtomicInteger(skip)));
    }

    /**
     * Runs {@code action} on the server's thread just before a statement whose SQL contains
     * {@code fragment} is executed: the way to interleave another client's requests exactly there.
     */
    public void beforeStatement(String fragment, Runnable action, boolean once) {
        traps.add(new StatementTrap(fragment, null, null, action, once, new AtomicInteger()));
    }

    /** Every SQL text executed so far, in order. */
    public List<String> sqlSeen() {
        synchronized (sqlSeen) {
            return List.copyOf(sqlSeen);
        }
    }

    /** How many HTTP requests arrived. */
    public int requestCount() {
        return requests.get();
    }

    /** The largest request body seen, in bytes. */
    public int largestRequestBody() {
        return largestBody.get();
    }

    /** Runs SQL directly on the database, bypassing the protocol: for tests to inspect or damage state. */
    public Result query(String sql, Object... args) {
        try (Connection c = connect()) {
            return run(c, sql, List.of(args));
        } catch (SQLException | StatementFailure e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new connection to the database, with a busy timeout so concurrent writers wait as on a server. */
    protected Connection connect() throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(20_000);
        // WAL with synchronous=NORMAL, as servers run SQLite: durable against a crash of the process, not of the host.
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        Properties properties = config.toProperties();
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + database, properties);
        for (Map.Entry<SQLiteLimits, Integer> limit : limits.entrySet()) {
            c.unwrap(SQLiteConnection.class).setLimit(limit.getKey(), limit.getValue());
        }
        return c;
    }

    private void exchange(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            largestBody.accumulateAndGet(body.length, Math::max);
            String text = new String(body, StandardCharsets.UTF_8);
            if (token != null && !("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                respond(ex, unauthorized());
                return;
            }
            Fault fault = takeFault(text);
            if (fault != null && !fault.afterApplying()) {
                respond(ex, new Answer(fault.status(), fault.body()));
                return;
            }
            Answer answer;
            try {
                answer = handle(ex.getRequestMethod(), ex.getRequestURI().getPath(), text);
            } catch (Refusal r) {
                answer = new Answer(r.status, r.body);
            }
            respond(ex, fault != null ? new Answer(fault.status(), fault.body()) : answer);
        } catch (RuntimeException e) {
            e.printStackTrace();
            respond(ex, new Answer(500, "fake server failed: " + e));
        }
    }

    private Fault takeFault(String body) {
        for (Fault f : faults) {
            if (f.when().test(body) && faults.remove(f)) {
                return f;
            }
        }
        return null;
    }

    /**
     * An answer.
     *
     * @param status the HTTP status
     * @param body the body; sent as JSON when it starts with a brace
     */
    public record Answer(int status, String body) {
    }

    /** Handles one authorised request. */
    protected abstract Answer handle(String method, String path, String body);

    /** The answer to a request with a missing or wrong token. */
    protected abstract Answer unauthorized();

    private static void respond(HttpExchange ex, Answer answer) throws IOException {
        byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        boolean isJson = answer.body().startsWith("{") || answer.body().startsWith("[");
        ex.getResponseHeaders().set("Content-Type", isJson ? "application/json" : "text/plain; charset=utf-8");
        ex.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Parses a request body, refusing what is not JSON with 400 as a server would. */
    protected JsonNode parse(String body) {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new Refusal(400, "Cannot deserialize client message from JSON: " + e.getMessage());
        }
    }

    /**
     * Runs hooks and injected statement failures for {@code sql}, without executing it. Call it
     * before taking any lock the hooks' own requests would need.
     */
    protected void trap(String sql) throws StatementFailure {
        for (StatementTrap trap : traps) {
            if (!sql.contains(trap.fragment()) || trap.skip().getAndDecrement() > 0) {
                continue;
            }
            if (trap.once() && !traps.remove(trap)) {
                continue;
            }
            if (trap.action() != null) {
                trap.action().run();
            } else {
                throw new StatementFailure(trap.code(), trap.message());
            }
        }
    }

    /**
     * Executes one statement with positional arguments ({@code Long}, {@code Double},
     * {@code String}, {@code byte[]} or null), logging its SQL text.
     */
    protected Result run(Connection c, String sql, List<Object> args) throws StatementFailure {
        sqlSeen.add(sql);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.size(); i++) {
                Object a = args.get(i);
                if (a == null) {
                    ps.setNull(i + 1, java.sql.Types.NULL);
                } else if (a instanceof Long l) {
                    ps.setLong(i + 1, l);
                } else if (a instanceof Double d) {
                    ps.setDouble(i + 1, d);
                } else if (a instanceof String s) {
                    ps.setString(i + 1, s);
                } else if (a instanceof byte[] b) {
                    ps.setBytes(i + 1, b);
                } else {
                    throw new IllegalArgumentException("cannot bind " + a.getClass());
                }
            }
            if (!ps.execute()) {
                return new Result(List.of(), List.of(), List.of(), ps.getUpdateCount());
            }
            try (ResultSet rs = ps.getResultSet()) {
                ResultSetMetaData meta = rs.getMetaData();
                List<String> columns = new ArrayList<>();
                List<String> types = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    columns.add(meta.getColumnLabel(i));
                    types.add(meta.getColumnTypeName(i));
                }
                List<List<Object>> rows = new ArrayList<>();
                while (rs.next()) {
                    List<Object> row = new ArrayList<>();
                    for (int i = 1; i <= columns.size(); i++) {
                        Object v = rs.getObject(i);
                        row.add(v instanceof Integer n ? Long.valueOf(n) : v);
                    }
                    rows.add(row);
                }
                return new Result(columns, types, rows, 0);
            }
        } catch (SQLiteException e) {
            throw new StatementFailure(e.getResultCode().name(), e.getMessage());
        } catch (SQLException e) {
            throw new StatementFailure("SQLITE_ERROR", e.getMessage());
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        closeConnections();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans it eventually
        }
    }

    /** Closes the connections a subclass holds open; called by {@link #close()}. */
    protected abstract void closeConnections();
}
