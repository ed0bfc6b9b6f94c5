package dev.tenure.backend.sql.wire;

import dev.tenure.backend.BackendException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The rows one statement returned, with its column names. Cells hold {@code null}, {@link Long},
 * {@link Double}, {@link String} or {@code byte[]}, as the protocol typed them.
 *
 * @param columns the column names, in order
 * @param rows the rows; each as long as {@code columns}
 */
public record Rows(List<String> columns, List<List<Object>> rows) {

    /** Copies the column names and keeps the rows (whose cells may be null) unmodifiable. */
    public Rows {
        columns = List.copyOf(columns);
        List<List<Object>> copy = new ArrayList<>(rows.size());
        for (List<Object> row : rows) {
            if (row.size() != columns.size()) {
                throw BackendException.internal(null, "the database answered a row of " + row.size()
                        + " cells for " + columns.size() + " columns", null);
            }
            copy.add(Collections.unmodifiableList(new ArrayList<>(row)));
        }
        rows = Collections.unmodifiableList(copy);
    }

    /** No rows, no columns: what a statement that returns nothing answers. */
    public static Rows empty() {
        return new Rows(List.of(), List.of());
    }

    /** How many rows there are. */
    public int size() {
        return rows.size();
    }

    /** True when there is no row. */
    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The cell of {@code row} under {@code column}. */
    public Object cell(int row, String column) {
        int index = columns.indexOf(column);
        if (index < 0) {
            throw BackendException.internal(null, "the database answered without the column '" + column
                    + "' (columns: " + columns + ")", null);
        }
        return rows.get(row).get(index);
    }

    /** The text cell of {@code row} under {@code column}. */
    public String text(int row, String column) {
        Object cell = cell(row, column);
        if (cell instanceof String s) {
            return s;
        }
        throw unexpected(column, "text", cell);
    }

    /** The integer cell of {@code row} under {@code column}. */
    public long integer(int row, String column) {
        Object cell = cell(row, column);
        if (cell instanceof Long l) {
            return l;
        }
        throw unexpected(column, "an integer", cell);
    }

    /** The binary cell of {@code row} under {@code column}. */
    public byte[] blob(int row, String column) {
        Object cell = cell(row, column);
        if (cell instanceof byte[] b) {
            return b;
        }
        throw unexpected(column, "a blob", cell);
    }

    private static BackendException unexpected(String column, String expected, Object cell) {
        String got = cell == null ? "NULL" : cell.getClass().getSimpleName();
        return BackendException.internal(null, "the database answered " + got + " in column '" + column
                + "' where " + expected + " was expected", null);
    }

    @Override
    public String toString() {
        return "Rows[" + columns + ", " + rows.size() + " rows]";
    }
}
