package dev.tenure.backend.d1;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.BackendException.Kind;
import dev.tenure.backend.Secret;
import dev.tenure.backend.sql.FakeSqlServer.Fault;
import dev.tenure.backend.sql.SqlBackendContract;
import dev.tenure.backend.sql.SqlOptions;
import dev.tenure.backend.sql.SqlSnapshotBackend;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** D1Backend against {@link FakeD1Server}: the shared SQL backend contract plus D1's own error shapes. */
class D1BackendTest extends SqlBackendContract<FakeD1Server> {

    @Override
    protected FakeD1Server startServer(String token) throws IOException {
        return new FakeD1Server(token);
    }

    @Override
    protected SqlSnapshotBackend open(FakeD1Server server, String token, SqlOptions options) {
        return D1Backend.open(D1Settings.builder(FakeD1Server.ACCOUNT, FakeD1Server.DATABASE, Secret.of(token))
                .endpoint(server.url()).options(options).build());
    }

    @Override
    protected SqlOptions.Builder defaults() {
        return D1Settings.defaultOptions();
    }

    @Override
    protected boolean snapshotsAreConsistent() {
        return false;
    }

    @Override
    protected Object stored(byte[] chunk) {
        return Base64.getEncoder().encodeToString(chunk);
    }

    @Override
    protected String errorBody(int status, String message) {
        int code = status == 401 || status == 403 ? 10000 : status == 429 ? 971 : 7500;
        return server.failureBody(code, message);
    }

    @Test
    void chunksAreStoredAsBase64TextBecauseParametersAreStrings() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        byte[] content = random(40 << 10, 1);
        b.upload(file(content), "k");
        assertEquals(List.of(List.of("text")), server.query("SELECT DISTINCT typeof(data) FROM \"tenure_chunks\"").rows());
        assertEquals(List.of(List.of("integer", "integer")),
                server.query("SELECT DISTINCT typeof(size), typeof(chunk_count) FROM \"tenure_objects\"").rows(),
                "integers sent as strings are stored as integers through the columns' affinity");
        assertArrayEquals(content, download(b, "k"));
    }

    @Test
    void documentedD1ErrorsMapToTheirKinds() throws IOException {
        SqlSnapshotBackend b = backend();
        b.upload(file(new byte[] {1}), "k");
        assertD1Error(500, 7500, "Network connection lost.", Kind.TRANSPORT, true, () -> b.delete("k"));
        assertD1Error(500, 7500, "Network connection lost.", Kind.TRANSPORT, false, () -> b.exists("k"));
        assertD1Error(400, 7500, "D1 DB is overloaded. Requests queued for too long.", Kind.TRANSPORT, false, () -> b.exists("k"));
        assertD1Error(500, 7500, "Internal error in D1 DB storage caused object to be reset.", Kind.TRANSPORT, false, () -> b.list(""));
        assertD1Error(400, 7500, "no such table: tenure_objects: SQLITE_ERROR", Kind.CONFIG, false, () -> b.exists("k"));
        assertD1Error(400, 7500, "UNIQUE constraint failed: tenure_chunks.idx: SQLITE_CONSTRAINT", Kind.INTERNAL, false, () -> b.delete("k"));
        assertD1Error(500, 7500, "internal error; reference = e_abc", Kind.TRANSPORT, true, () -> b.delete("k"));
        assertD1Error(429, 971, "Please wait and consider throttling your request speed", Kind.TRANSPORT, false, () -> b.delete("k"));
        assertD1Error(401, 10000, "Authentication error", Kind.AUTH, false, () -> b.exists("k"));
        assertD1Error(403, 9109, "Unauthorized to access requested resource", Kind.AUTH, false, () -> b.delete("k"));
        // Auth is for 401 and 403 only: an authentication code under another status is not trusted as one.
        assertD1Error(400, 10000, "Authentication error", Kind.CONFIG, false, () -> b.exists("k"));
        assertD1Error(200, 7500, "success false without a status", Kind.INTERNAL, false, () -> b.exists("k"));
        assertTrue(b.exists("k"), "nothing above changed the object");
    }

    private void assertD1Error(int status, int code, String message, Kind kind, boolean ambiguous, ThrowingRunnable call) {
        server.inject(Fault.refuse(status, server.failureBody(code, message)));
        BackendException e = assertThrows(BackendException.class, call::run, message);
        assertEquals(kind, e.kind(), message + ": " + e);
        assertEquals(ambiguous, e.ambiguous(), message + ": " + e);
        assertTrue(e.getMessage().contains(String.valueOf(code)), e.getMessage());
    }

    @Test
    void aWrongDatabaseIsAConfigErrorNotAnAbsentObject() {
        D1Backend wrong = D1Backend.open(D1Settings.builder(FakeD1Server.ACCOUNT, "00000000-0000-0000-0000-000000000000",
                Secret.of(TOKEN)).endpoint(server.url()).build());
        BackendException e = assertThrows(BackendException.class, () -> wrong.download("k", scratch.resolve("out")));
        assertEquals(Kind.CONFIG, e.kind(), e.toString());
        assertTrue(e.getMessage().contains("database id"), e.getMessage());
        assertFalse(e.getMessage().contains(TOKEN));
    }
}
