package dev.tenure.backend.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.BackendException.Kind;
import dev.tenure.backend.internal.HttpCalls.Op;
import dev.tenure.backend.sql.wire.SqlErrors;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The pure parts of the shared SQL layer: listing bounds and the error-code table. */
class SqlLayerTest {

    @Test
    void theUpperBoundOfAPrefixIsItsCodePointSuccessor() {
        assertEquals(Optional.empty(), SqlSnapshotBackend.upperBound(""));
        assertEquals(Optional.of("b"), SqlSnapshotBackend.upperBound("a"));
        assertEquals(Optional.of("a/0"), SqlSnapshotBackend.upperBound("a//"));
        // Surrogates are not characters of UTF-8 text: the successor of U+D7FF is U+E000.
        assertEquals(Optional.of("x\uE000"), SqlSnapshotBackend.upperBound("x\uD7FF"));
        // A supplementary character is one code point, incremented as a whole.
        assertEquals(Optional.of("x\uD83D\uDE01"), SqlSnapshotBackend.upperBound("x\uD83D\uDE00"));
        // The largest code point cannot grow: the one before it does.
        assertEquals(Optional.of("y"), SqlSnapshotBackend.upperBound("x\uDBFF\uDFFF"));
        assertEquals(Optional.empty(), SqlSnapshotBackend.upperBound("\uDBFF\uDFFF\uDBFF\uDFFF"));
    }

    @Test
    void statementCodesMapToKindsAndNeverToAuth() {
        assertKind("SQLITE_BUSY", Kind.TRANSPORT);
        assertKind("SQLITE_BUSY_SNAPSHOT", Kind.TRANSPORT);
        assertKind("SQLITE_LOCKED", Kind.TRANSPORT);
        assertKind("SQLITE_IOERR_WRITE", Kind.TRANSPORT);
        assertKind("TRANSACTION_TIMEOUT", Kind.TRANSPORT);
        assertKind("STREAM_EXPIRED", Kind.TRANSPORT);
        assertKind("SQLITE_READONLY_DBMOVED", Kind.CONFIG);
        assertKind("SQLITE_AUTH", Kind.CONFIG);
        assertKind("SQLITE_PERM", Kind.CONFIG);
        assertKind("BLOCKED", Kind.CONFIG);
        assertKind("SQLITE_ERROR", Kind.CONFIG);
        assertKind("SQL_INPUT_ERROR", Kind.CONFIG);
        assertKind("RESPONSE_TOO_LARGE", Kind.CONFIG);
        assertKind("SQL_PARSE_ERROR", Kind.INTERNAL);
        assertKind("ARGS_INVALID", Kind.INTERNAL);
        assertKind("SQLITE_CONSTRAINT_PRIMARYKEY", Kind.INTERNAL);
        assertKind("SQLITE_CORRUPT", Kind.INTERNAL);
        assertKind("SOMETHING_NEW", Kind.INTERNAL);
    }

    private static void assertKind(String code, Kind kind) {
        BackendException e = SqlErrors.statementFailed("k", Op.WRITE, "test write 'k'", code, "message");
        assertEquals(kind, e.kind(), code);
        assertFalse(e.ambiguous(), code);
        assertTrue(e.getMessage().contains(code) && e.getMessage().contains("'k'"), e.getMessage());
    }

    @Test
    void onlyAFailedForwardToThePrimaryLeavesAWriteAmbiguous() {
        assertTrue(SqlErrors.statementFailed("k", Op.WRITE, "w", "PROXY_ERROR", "primary unreachable").ambiguous());
        assertFalse(SqlErrors.statementFailed("k", Op.READ, "r", "PROXY_ERROR", "primary unreachable").ambiguous());
    }

    @Test
    void d1NamesTheSqliteCodeAtTheEndOfItsMessage() {
        assertEquals(Optional.of("SQLITE_ERROR"), SqlErrors.sqliteCodeIn("7500: no such table: t: SQLITE_ERROR"));
        assertEquals(Optional.of("SQLITE_CONSTRAINT_PRIMARYKEY"),
                SqlErrors.sqliteCodeIn("UNIQUE constraint failed: SQLITE_CONSTRAINT_PRIMARYKEY [code: 7500]"));
        assertEquals(Optional.empty(), SqlErrors.sqliteCodeIn("Network connection lost."));
        assertEquals(Optional.empty(), SqlErrors.sqliteCodeIn(null));
    }
}
