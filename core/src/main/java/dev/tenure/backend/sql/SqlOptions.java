package dev.tenure.backend.sql;

import dev.tenure.backend.BackendException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How a {@link SqlSnapshotBackend} lays objects out in its tables and talks to its service; the
 * part of the settings that libSQL and D1 share. Validated on construction, so a bad setting fails
 * before any request.
 *
 * @param table the prefix of the two table names ({@code <table>_objects}, {@code <table>_chunks}):
 *     a letter, then up to 39 letters, digits or underscores
 * @param chunkBytes the size of every chunk but the last of an object
 * @param requestBytes how many chunk bytes one request carries at most, up or down; at least one chunk
 * @param orphanGrace how old the chunks of an upload that never committed must be before the next
 *     upload of the key deletes them; longer than any upload of that key takes
 * @param connectTimeout time to open a connection
 * @param requestTimeout time for one request, start to end
 */
public record SqlOptions(String table, int chunkBytes, int requestBytes, Duration orphanGrace,
        Duration connectTimeout, Duration requestTimeout) {

    /** The smallest chunk accepted; below it the per-row overhead dominates. */
    public static final int MIN_CHUNK_BYTES = 4 << 10;
    /** The URI parameters {@link Builder#uriParameters} understands. */
    public static final Set<String> URI_PARAMETERS = Set.of("table", "chunkKiB", "requestKiB", "orphanGraceSeconds",
            "connectTimeoutMs", "requestTimeoutMs");
    private static final Pattern TABLE = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,39}");

    /** Validates every field. */
    public SqlOptions {
        Objects.requireNonNull(orphanGrace, "orphanGrace");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        // The table prefix is the one part of the SQL text that comes from configuration, so it is
        // held to a pattern that cannot quote, comment or end a statement.
        if (table == null || !TABLE.matcher(table).matches() || table.toLowerCase(Locale.ROOT).startsWith("sqlite")) {
            throw invalid("table prefix '" + table + "' must be a letter followed by up to 39 letters, digits or '_',"
                    + " and must not start with 'sqlite'");
        }
        if (chunkBytes < MIN_CHUNK_BYTES || requestBytes < chunkBytes) {
            throw invalid("chunkBytes must be at least " + MIN_CHUNK_BYTES + " and requestBytes at least chunkBytes (chunk "
                    + chunkBytes + ", request " + requestBytes + ")");
        }
        if (orphanGrace.isNegative()) {
            throw invalid("orphanGrace must not be negative, not " + orphanGrace);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw invalid("timeouts must be positive (connect " + connectTimeout + ", request " + requestTimeout + ")");
        }
    }

    /** How many chunks one request carries. */
    public int chunksPerRequest() {
        return Math.max(1, requestBytes / chunkBytes);
    }

    private static BackendException invalid(String message) {
        return BackendException.config(null, "invalid SQL backend settings: " + message, null);
    }

    /**
     * A builder with the given sizes as defaults, the table prefix {@code tenure}, an orphan grace
     * of one hour, and timeouts of 5 s (connect) and 30 s (request).
     */
    public static Builder builder(int chunkBytes, int requestBytes) {
        return new Builder(chunkBytes, requestBytes);
    }

    /** Builds {@link SqlOptions}. */
    public static final class Builder {
        private String table = "tenure";
        private int chunkBytes;
        private int requestBytes;
        private Duration orphanGrace = Duration.ofHours(1);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(30);

        private Builder(int chunkBytes, int requestBytes) {
            this.chunkBytes = chunkBytes;
            this.requestBytes = requestBytes;
        }

        /** The table prefix. */
        public Builder table(String table) {
            this.table = table;
            return this;
        }

        /** The chunk size and the most chunk bytes one request carries. */
        public Builder sizes(int chunkBytes, int requestBytes) {
            this.chunkBytes = chunkBytes;
            this.requestBytes = requestBytes;
            return this;
        }

        /** How old unreferenced chunks must be before an upload of their key deletes them. */
        public Builder orphanGrace(Duration grace) {
            this.orphanGrace = grace;
            return this;
        }

        /** Time to open a connection, and time for one request from start to end. */
        public Builder timeouts(Duration connect, Duration request) {
            this.connectTimeout = connect;
            this.requestTimeout = request;
            return this;
        }

        /**
         * Applies the URI parameters of {@link #URI_PARAMETERS} that {@code query} holds and ignores
         * the others.
         *
         * @throws BackendException CONFIG when a number is not a number
         */
        public Builder uriParameters(Map<String, String> query) {
            try {
                if (query.containsKey("table")) {
                    table(query.get("table"));
                }
                int chunk = query.containsKey("chunkKiB") ? Math.multiplyExact(Integer.parseInt(query.get("chunkKiB")), 1024) : chunkBytes;
                int request = query.containsKey("requestKiB") ? Math.multiplyExact(Integer.parseInt(query.get("requestKiB")), 1024)
                        : Math.max(requestBytes, chunk);
                sizes(chunk, request);
                if (query.containsKey("orphanGraceSeconds")) {
                    orphanGrace(Duration.ofSeconds(Long.parseLong(query.get("orphanGraceSeconds"))));
                }
                timeouts(query.containsKey("connectTimeoutMs") ? Duration.ofMillis(Long.parseLong(query.get("connectTimeoutMs")))
                        : connectTimeout,
                        query.containsKey("requestTimeoutMs") ? Duration.ofMillis(Long.parseLong(query.get("requestTimeoutMs")))
                                : requestTimeout);
            } catch (NumberFormatException | ArithmeticException e) {
                throw invalid("a numeric URI parameter is not a number in range: " + e.getMessage());
            }
            return this;
        }

        /**
         * The options.
         *
         * @throws BackendException CONFIG when a setting is invalid
         */
        public SqlOptions build() {
            return new SqlOptions(table, chunkBytes, requestBytes, orphanGrace, connectTimeout, requestTimeout);
        }
    }
}
