package dev.tenure.backend.turso;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.BackendException.Kind;
import dev.tenure.backend.Secret;
import dev.tenure.backend.sql.SqlBackendContract;
import dev.tenure.backend.sql.SqlOptions;
import dev.tenure.backend.sql.SqlSnapshotBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TursoBackend against {@link FakeHranaServer}: the shared SQL backend contract plus what is Hrana's own. */
class TursoBackendTest extends SqlBackendContract<FakeHranaServer> {

    @Override
    protected FakeHranaServer startServer(String token) throws IOException {
        return new FakeHranaServer(token);
    }

    @Override
    protected SqlSnapshotBackend open(FakeHranaServer server, String token, SqlOptions options) {
        return TursoBackend.open(TursoSettings.builder(server.url()).token(Secret.of(token)).options(options).build());
    }

    @Override
    protected SqlOptions.Builder defaults() {
        return TursoSettings.defaultOptions();
    }

    @Override
    protected boolean snapshotsAreConsistent() {
        return true;
    }

    @Override
    protected Object stored(byte[] chunk) {
        return chunk;
    }

    @Override
    protected String errorBody(int status, String message) {
        // sqld answers stream errors as a JSON Error; proxies and protocol errors as text.
        return status >= 500 ? "{\"message\":\"" + message + "\",\"code\":\"INJECTED\"}" : message;
    }

    @Test
    void chunksAreStoredAsBlobsAndEveryWriteIsOneTransactionalBatch() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        b.upload(file(random(40 << 10, 1)), "k");
        assertEquals(List.of(List.of("blob")), server.query("SELECT DISTINCT typeof(data) FROM \"tenure_chunks\"").rows());
        List<String> sql = server.sqlSeen();
        int begins = (int) sql.stream().filter("BEGIN IMMEDIATE"::equals).count();
        int commits = (int) sql.stream().filter("COMMIT"::equals).count();
        // schema, three chunk requests, the commit and the cleanup: six write transactions
        assertEquals(6, begins, sql.toString());
        assertEquals(begins, commits, sql.toString());
    }

    @Test
    void aDownloadFollowsTheBatonAndTheBaseUrlAndClosesItsStream() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        byte[] content = random(4 * (16 << 10), 2);
        b.upload(file(content), "k");
        server.advertiseBaseUrl(server.url() + "/sticky");
        int before = server.pipelinePaths().size();
        assertArrayEquals(content, download(b, "k"));
        List<String> paths = server.pipelinePaths().subList(before, server.pipelinePaths().size());
        // open with BEGIN and page 1, pages 2 to 4 on the stream, then ROLLBACK and close
        assertEquals("/v2/pipeline", paths.get(0), paths.toString());
        assertEquals(List.of("/sticky/v2/pipeline"), paths.subList(1, paths.size()).stream().distinct().toList(), paths.toString());
        assertEquals(5, paths.size(), paths.toString());
        assertEquals(0, server.openStreams(), "the read stream was closed");
        assertTrue(server.sqlSeen().contains("ROLLBACK"));
    }

    @Test
    void anExpiredStreamMidDownloadIsATransportErrorAndTheLocalFileIsKept() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        b.upload(file(random(4 * (16 << 10), 3)), "k");
        server.beforeStatement(NEXT_PAGE, server::expireAllStreams, true);
        assertDownloadFailsKeepingTheLocalFile(b, "k", Kind.TRANSPORT, "STREAM_EXPIRED");
    }

    @Test
    void aBaseUrlThatIsNotHttpIsRefused() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        b.upload(file(random(100, 4)), "k");
        server.advertiseBaseUrl("ftp://elsewhere.example/");
        BackendException e = assertThrows(BackendException.class, () -> b.download("k", scratch.resolve("out")));
        assertEquals(Kind.INTERNAL, e.kind(), e.toString());
        assertTrue(e.getMessage().contains("base_url"), e.getMessage());
    }

    @Test
    void aServerWithoutAuthenticationNeedsNoToken() throws IOException {
        try (FakeHranaServer open = new FakeHranaServer(null);
                TursoBackend b = TursoBackend.open(TursoSettings.builder(open.url()).build())) {
            b.upload(file(new byte[] {7}), "k");
            assertEquals(List.of("k"), b.list(""));
        }
    }
}
