package dev.tenure.backend.sql.wire;

import java.util.List;
import java.util.Objects;

/**
 * One SQL statement and the values bound to its {@code ?} parameters, in order. The SQL text of
 * every statement Tenure sends is a constant of the backend; only the arguments vary.
 *
 * @param sql the statement's text: one statement, no trailing semicolon
 * @param args the values of its positional parameters
 */
public record SqlStatement(String sql, List<SqlValue> args) {

    /** Copies the arguments; rejects nulls. */
    public SqlStatement {
        Objects.requireNonNull(sql, "sql");
        args = List.copyOf(args);
    }

    /** A statement with the given arguments. */
    public static SqlStatement of(String sql, SqlValue... args) {
        return new SqlStatement(sql, List.of(args));
    }

    @Override
    public String toString() {
        // The arguments may be large chunks; the text and their count say what was sent.
        return "SqlStatement[" + sql + ", " + args.size() + " args]";
    }
}
