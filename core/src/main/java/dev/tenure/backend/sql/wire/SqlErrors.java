package dev.tenure.backend.sql.wire;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.internal.HttpCalls;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the error code of a failed SQL statement into a {@link BackendException}, the same way for
 * every SQL-over-HTTP service: the codes are SQLite's result codes ({@code SQLITE_BUSY},
 * {@code SQLITE_CONSTRAINT_PRIMARYKEY}, ...) plus sqld's own ({@code SQL_PARSE_ERROR},
 * {@code TRANSACTION_TIMEOUT}, ...; see libsql-server's {@code hrana/stmt.rs}).
 *
 * <p>A statement error is never AUTH: the HTTP exchange itself was accepted, so the credentials
 * were fine; a statement the server's authorizer refuses ({@code SQLITE_AUTH}, {@code BLOCKED}) or
 * a read-only database is a configuration problem. A failed statement rolled its transaction back,
 * so the error is not ambiguous, except where the server says the primary could not be reached
 * after the request was forwarded ({@code PROXY_ERROR}).
 */
public final class SqlErrors {

    private static final Pattern SQLITE_CODE = Pattern.compile("\\bSQLITE_[A-Z_]+\\b");

    private SqlErrors() {
    }

    /**
     * The error for a statement that failed with {@code code}.
     *
     * @param where the operation and key, for the message
     * @param code the service's error code; may be null or blank when it gave none
     * @param message the service's explanation, already free of secrets
     */
    public static BackendException statementFailed(String key, HttpCalls.Op op, String where, String code, String message) {
        String c = code == null || code.isBlank() ? "UNKNOWN" : code.strip();
        String text = where + ": " + c + (message == null || message.isBlank() ? "" : " (" + HttpCalls.abbreviate(message) + ")");
        switch (kindOf(c)) {
            case TRANSPORT:
                boolean ambiguous = op.mutation() && c.equals("PROXY_ERROR");
                return BackendException.transport(key, ambiguous, text + ": transient, retry"
                        + (ambiguous ? " (the write may have been applied)" : ""), null);
            case CONFIG:
                return BackendException.config(key, text + ": " + configHint(c), null);
            default:
                return BackendException.internal(key, text + ": the database refused a statement Tenure sends;"
                        + " is the server a compatible SQLite?", null);
        }
    }

    /** The first SQLite result code named in {@code message}, as D1 spells them ("...: SQLITE_BUSY"). */
    public static Optional<String> sqliteCodeIn(String message) {
        if (message == null) {
            return Optional.empty();
        }
        Matcher m = SQLITE_CODE.matcher(message);
        return m.find() ? Optional.of(m.group()) : Optional.empty();
    }

    /** The kind a code maps to: TRANSPORT, CONFIG or INTERNAL; never AUTH. */
    static BackendException.Kind kindOf(String code) {
        if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED") || code.startsWith("SQLITE_IOERR")
                || code.equals("SQLITE_INTERRUPT") || code.equals("SQLITE_PROTOCOL") || code.equals("SQLITE_NOMEM")
                || code.equals("TRANSACTION_TIMEOUT") || code.equals("TRANSACTION_BUSY") || code.equals("PROXY_ERROR")
                || code.equals("STREAM_EXPIRED")) {
            return BackendException.Kind.TRANSPORT;
        }
        if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_AUTH")
                || code.equals("SQLITE_ERROR") || code.equals("SQL_INPUT_ERROR") || code.equals("SQLITE_PERM")
                || code.equals("SQLITE_TOOBIG") || code.equals("SQLITE_FULL") || code.equals("BLOCKED")
                || code.equals("RESPONSE_TOO_LARGE")) {
            return BackendException.Kind.CONFIG;
        }
        return BackendException.Kind.INTERNAL;
    }

    private static String configHint(String code) {
        if (code.startsWith("SQLITE_READONLY")) {
            return "the database is read-only here; point Tenure at a writable primary or use a token that may write";
        }
        if (code.equals("SQLITE_TOOBIG") || code.equals("RESPONSE_TOO_LARGE")) {
            return "a chunk or an answer is larger than the server allows; lower chunkKiB or requestKiB";
        }
        if (code.equals("SQLITE_FULL")) {
            return "the database is full; raise its size limit or delete objects";
        }
        if (code.equals("SQLITE_ERROR") || code.equals("SQL_INPUT_ERROR")) {
            return "the database refused Tenure's statement; does a table of that name with other columns exist?"
                    + " Choose another table prefix";
        }
        return "the server does not allow this statement or this database; check its configuration and quotas";
    }
}
