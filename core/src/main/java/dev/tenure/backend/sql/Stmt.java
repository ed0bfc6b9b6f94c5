package dev.tenure.backend.sql;

import java.util.List;
import java.util.Objects;

/**
 * One SQL statement and the values bound to its {@code ?} parameters, in order. The SQL text of
 * every statement Tenure sends is a constant of the backend; only the arguments vary.
 *
 * @param sql the statement's text: one statement, no trailing semicolon
 * @param args the values of its positional parameters
 */
public record Stmt(String sql, List<SqlValue> args) {

    /** Copies the arguments; rejects nulls. */
    public Stmt {
        Objects.requireNonNull(sql, "sql");
        args = List.copyOf(args);
    }

    /** A statement with the given arguments. */
    public static Stmt of(String sql, SqlValue... args) {
        return new Stmt(sql, List.of(args));
    }

    @Override
    public String toString() {
        // The arguments may be large chunks; the text and their count say what was sent.
        return "Stmt[" + sql + ", " + args.size() + " args]";
    }
}
