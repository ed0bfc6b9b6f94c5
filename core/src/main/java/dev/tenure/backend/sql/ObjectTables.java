package dev.tenure.backend.sql;

import dev.tenure.backend.sql.wire.SqlStatement;
import java.util.List;

/**
 * The SQL text of every statement a {@link SqlSnapshotBackend} sends. Each text is built once
 * from the validated table prefix and never from a value: keys, generations, chunks and numbers are
 * all bound parameters.
 *
 * <p>D1 binds every parameter as text, so an integer parameter compared with anything other than
 * an INTEGER column (whose affinity converts it) is wrapped in {@code CAST(? AS INTEGER)}.
 */
final class ObjectTables {

    /** Server time in whole seconds; the server's clock, so writers' clocks never need to agree. */
    private static final String NOW = "CAST(strftime('%s','now') AS INTEGER)";

    final String objects;
    final String chunks;

    final List<SqlStatement> createSchema;
    final String selectHead;
    final String selectFirstChunks;
    final String selectChunksFrom;
    final String insertChunk;
    final String selectGeneration;
    final String switchIfComplete;
    final String deleteReplacedChunks;
    final String deleteAbandonedChunks;
    final String deleteObject;
    final String deleteAllChunks;
    final String exists;
    final String listFrom;
    final String listRange;

    ObjectTables(String prefix) {
        objects = "\"" + prefix + "_objects\"";
        chunks = "\"" + prefix + "_chunks\"";
        createSchema = List.of(
                SqlStatement.of("CREATE TABLE IF NOT EXISTS " + objects + " (object_key TEXT NOT NULL PRIMARY KEY,"
                        + " generation TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, chunk_count INTEGER NOT NULL)"),
                SqlStatement.of("CREATE TABLE IF NOT EXISTS " + chunks + " (object_key TEXT NOT NULL, generation TEXT NOT NULL,"
                        + " idx INTEGER NOT NULL, data BLOB NOT NULL, written_at INTEGER NOT NULL,"
                        + " PRIMARY KEY (object_key, generation, idx))"));
        selectHead = "SELECT generation, size, sha256, chunk_count FROM " + objects + " WHERE object_key = ?";
        // The first page names the generation through the object row, so head and first page agree
        // even on a service whose separate requests see different states.
        selectFirstChunks = "SELECT idx, data FROM " + chunks + " WHERE object_key = ? AND generation ="
                + " (SELECT generation FROM " + objects + " WHERE object_key = ?) ORDER BY idx LIMIT ?";
        selectChunksFrom = "SELECT idx, data FROM " + chunks + " WHERE object_key = ? AND generation = ? AND idx >= ?"
                + " ORDER BY idx LIMIT ?";
        insertChunk = "INSERT INTO " + chunks + " (object_key, generation, idx, data, written_at) VALUES (?, ?, ?, ?, " + NOW + ")";
        selectGeneration = "SELECT generation FROM " + objects + " WHERE object_key = ?";
        // Switches the key to the new generation only when every one of its chunks is there: a
        // concurrent delete of the key may have removed them, and a row pointing at missing chunks
        // would be a corrupt object.
        switchIfComplete = "INSERT OR REPLACE INTO " + objects + " (object_key, generation, size, sha256, chunk_count)"
                + " SELECT ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM " + chunks
                + " WHERE object_key = ? AND generation = ?) = CAST(? AS INTEGER)";
        // Never the current generation; the replaced one at once; others (uploads that never
        // committed, or are still running) only once they are older than the grace.
        deleteReplacedChunks = "DELETE FROM " + chunks + " WHERE object_key = ? AND generation <>"
                + " coalesce((SELECT generation FROM " + objects + " WHERE object_key = ?), '')"
                + " AND (generation = ? OR written_at <= " + NOW + " - CAST(? AS INTEGER))";
        deleteAbandonedChunks = "DELETE FROM " + chunks + " WHERE object_key = ? AND generation = ? AND generation <>"
                + " coalesce((SELECT generation FROM " + objects + " WHERE object_key = ?), '')";
        deleteObject = "DELETE FROM " + objects + " WHERE object_key = ?";
        deleteAllChunks = "DELETE FROM " + chunks + " WHERE object_key = ?";
        exists = "SELECT 1 AS present FROM " + objects + " WHERE object_key = ?";
        // Prefix matching by range, not LIKE: '%' and '_' in a key are ordinary characters here.
        listFrom = "SELECT object_key FROM " + objects + " WHERE object_key >= ? AND object_key > ?"
                + " ORDER BY object_key LIMIT ?";
        listRange = "SELECT object_key FROM " + objects + " WHERE object_key >= ? AND object_key > ? AND object_key < ?"
                + " ORDER BY object_key LIMIT ?";
    }
}
