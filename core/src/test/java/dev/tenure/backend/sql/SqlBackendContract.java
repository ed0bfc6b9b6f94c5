package dev.tenure.backend.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.BackendException.Kind;
import dev.tenure.backend.sql.FakeSqlServer.Fault;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SqlSnapshotBackend} must do beyond the conformance suite, run against its
 * protocol's fake server: bound parameters, chunking across requests, readers that never see a
 * mix, integrity, orphan cleanup, ambiguity, error mapping and secrecy. A backend's test extends
 * this and says how its protocol shapes errors.
 *
 * @param <S> the fake server type
 */
public abstract class SqlBackendContract<S extends FakeSqlServer> {

    /** The token every backend here uses; no message, name or string may ever contain it. */
    protected static final String TOKEN = "tkn-5ecret-must-never-leak-91c2";
    /** The SQL name of the chunks table with the default prefix. */
    protected static final String CHUNKS = "\"tenure_chunks\"";
    /** The SQL name of the objects table with the default prefix. */
    protected static final String OBJECTS = "\"tenure_objects\"";
    /** A fragment of every chunk-writing request body. */
    protected static final String CHUNK_INSERT = "(object_key, generation, idx, data, written_at)";
    /** A fragment of the commit request body. */
    protected static final String COMMIT = "INSERT OR REPLACE INTO";
    /** A fragment of the SQL of the second and later pages of a download. */
    protected static final String NEXT_PAGE = "AND idx >= ?";

    protected S server;
    protected Path scratch;
    private final List<SqlSnapshotBackend> opened = new ArrayList<>();

    /** Starts the protocol's fake, demanding {@code token}. */
    protected abstract S startServer(String token) throws IOException;

    /** A backend on {@code server} sending {@code token}. */
    protected abstract SqlSnapshotBackend open(S server, String token, SqlOptions options);

    /** The backend's default options. */
    protected abstract SqlOptions.Builder defaults();

    /** True when one download reads one snapshot across requests. */
    protected abstract boolean snapshotsAreConsistent();

    /** Chunk bytes as the backend stores them (a blob, or base64 text). */
    protected abstract Object stored(byte[] chunk);

    /** A body the protocol's server would send with an HTTP error of {@code status}. */
    protected abstract String errorBody(int status, String message);

    @BeforeEach
    void startFake() throws IOException {
        server = startServer(TOKEN);
        scratch = Files.createTempDirectory("tenure-sql-contract-");
    }

    @AfterEach
    void stopFake() throws IOException {
        opened.forEach(SqlSnapshotBackend::close);
        server.close();
        try (Stream<Path> paths = Files.walk(scratch)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A backend with the default options. */
    protected SqlSnapshotBackend backend() {
        return backend(defaults().build());
    }

    /** A backend with {@code options}. */
    protected SqlSnapshotBackend backend(SqlOptions options) {
        SqlSnapshotBackend b = open(server, TOKEN, options);
        opened.add(b);
        return b;
    }

    /** Small chunks, one per request, so a small object needs many requests. */
    protected SqlOptions tiny() {
        return defaults().sizes(16 << 10, 16 << 10).build();
    }

    protected Path file(byte[] content) throws IOException {
        Path f = Files.createTempFile(scratch, "f-", ".bin");
        Files.write(f, content);
        return f;
    }

    protected static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected byte[] download(SqlSnapshotBackend b, String key) throws IOException {
        Path target = scratch.resolve("down-" + System.nanoTime());
        assertTrue(b.download(key, target), key + " should exist");
        return Files.readAllBytes(target);
    }

    /**
     * Asserts that downloading {@code key} over an existing local file fails with {@code kind}, not
     * ambiguous, with {@code fragment} in the message, and leaves the local file as it was.
     */
    protected BackendException assertDownloadFailsKeepingTheLocalFile(SqlSnapshotBackend b, String key, Kind kind, String fragment)
            throws IOException {
        byte[] before = "the local copy".getBytes(StandardCharsets.UTF_8);
        Path local = file(before);
        BackendException e = assertThrows(BackendException.class, () -> b.download(key, local));
        assertEquals(kind, e.kind(), e.toString());
        assertFalse(e.ambiguous(), e.toString());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(local), "the local file was touched");
        return e;
    }

    private long generations(String key) {
        return (Long) server.query("SELECT count(DISTINCT generation) FROM " + CHUNKS + " WHERE object_key = ?", key).rows().get(0).get(0);
    }

    // ---- bound parameters ----------------------------------------------------------------------

    @Test
    void quotesAndLikeWildcardsInKeysAreBoundNeverSpliced() throws IOException {
        SqlSnapshotBackend b = backend();
        List<String> keys = List.of("it's/100%_a", "it's/100%_b\"x", "it's/100%Xa", "it's/100Xa", "it's/1000", "its/100%_a");
        for (String k : keys) {
            b.upload(file(k.getBytes(StandardCharsets.UTF_8)), k);
        }
        for (String k : keys) {
            assertArrayEquals(k.getBytes(StandardCharsets.UTF_8), download(b, k), k);
        }
        // As LIKE patterns '%' and '_' would match the other keys too.
        assertEquals(List.of("it's/100%_a", "it's/100%_b\"x"), b.list("it's/100%_"));
        assertEquals(List.of("it's/100%Xa", "it's/100%_a", "it's/100%_b\"x"), b.list("it's/100%"));
        assertEquals(List.of("it's/100%Xa", "it's/100%_a", "it's/100%_b\"x", "it's/1000", "it's/100Xa"), b.list("it's/"));
        for (String sql : server.sqlSeen()) {
            assertFalse(sql.contains("it's") || sql.contains("100%"), "a key was spliced into SQL: " + sql);
        }
    }

    @Test
    void listingIsInStringOrderWhereSqliteOrdersByCodePoint() throws IOException {
        SqlSnapshotBackend b = backend();
        // U+E000 sorts after U+D83D (a high surrogate) in UTF-16 but before U+1F600 in UTF-8.
        List<String> keys = List.of("p/\uE000", "p/\uD83D\uDE00", "p/z", "p/\uFFFD", "p/\uD7FF");
        for (String k : keys) {
            b.upload(file(new byte[] {1}), k);
        }
        assertEquals(keys.stream().sorted().toList(), b.list("p/"));
        assertEquals(List.of("p/\uD7FF"), b.list("p/\uD7FF"));
        assertEquals(List.of("p/\uD83D\uDE00"), b.list("p/\uD83D\uDE00"));
    }

    // ---- chunking ------------------------------------------------------------------------------

    @Test
    void aLargeUploadGoesUpInSeveralBoundedRequests() throws IOException {
        SqlSnapshotBackend b = backend(defaults().sizes(16 << 10, 64 << 10).build());
        byte[] content = random((1 << 20) + 123, 7);
        int before = server.requestCount();
        b.upload(file(content), "big");
        int requests = server.requestCount() - before;
        // 65 chunks, four per request: 17 requests of chunks, plus schema, commit and cleanup.
        assertTrue(requests >= 17, "only " + requests + " requests");
        assertTrue(server.largestRequestBody() < (64 << 10) * 4 / 3 + (16 << 10),
                "a request body of " + server.largestRequestBody() + " bytes for 64 KiB of chunks");
        assertEquals(65L, server.query("SELECT count(*) FROM " + CHUNKS + " WHERE object_key = 'big'").rows().get(0).get(0));
        assertArrayEquals(content, download(b, "big"));
    }

    @Test
    void sizesAtAndAroundChunkBoundariesRoundTrip() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        int chunk = 16 << 10;
        for (int size : new int[] {0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk}) {
            byte[] content = random(size, size);
            b.upload(file(content), "s/" + size);
            assertArrayEquals(content, download(b, "s/" + size), "size " + size);
            long chunks = (Long) server.query("SELECT chunk_count FROM " + OBJECTS + " WHERE object_key = ?", "s/" + size)
                    .rows().get(0).get(0);
            assertEquals((size + chunk - 1) / chunk, chunks, "chunks of " + size + " bytes");
        }
    }

    // ---- readers -------------------------------------------------------------------------------

    @Test
    void aDownloadDuringAnUploadGetsOneWholeVersionNeverAMix() throws IOException {
        SqlSnapshotBackend reader = backend(tiny());
        SqlSnapshotBackend writer = backend(tiny());
        byte[] v1 = random(10 * (16 << 10), 1);
        byte[] v2 = random(10 * (16 << 10), 2);
        reader.upload(file(v1), "k");
        Path v2File = file(v2);
        // The second page of the download waits until another client has replaced the object.
        server.beforeStatement(NEXT_PAGE, () -> writer.upload(v2File, "k"), true);
        byte[] got = download(reader, "k");
        if (snapshotsAreConsistent()) {
            assertArrayEquals(v1, got, "the reader's snapshot began before the upload committed");
        } else {
            assertArrayEquals(v2, got, "the reader found its chunks gone and read the new version whole");
        }
        assertArrayEquals(v2, download(reader, "k"));
    }

    @Test
    void aReaderThatKeepsLosingTheRaceNeverTouchesTheLocalFile() throws IOException {
        SqlSnapshotBackend reader = backend(tiny());
        SqlSnapshotBackend writer = backend(tiny());
        byte[] v1 = random(4 * (16 << 10), 1);
        reader.upload(file(v1), "k");
        AtomicInteger version = new AtomicInteger(1);
        server.beforeStatement(NEXT_PAGE, () -> {
            try {
                writer.upload(file(random(4 * (16 << 10), version.incrementAndGet())), "k");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, false);
        if (snapshotsAreConsistent()) {
            assertArrayEquals(v1, download(reader, "k"), "the snapshot held the version current when the read began");
        } else {
            assertDownloadFailsKeepingTheLocalFile(reader, "k", Kind.TRANSPORT, "3 times in a row");
        }
    }

    @Test
    void aDamagedChunkIsRefusedAndTheLocalFileKept() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        b.upload(file(random(3 * (16 << 10), 3)), "k");
        server.query("UPDATE " + CHUNKS + " SET data = ? WHERE object_key = 'k' AND idx = 1", stored(random(16 << 10, 99)));
        BackendException e = assertDownloadFailsKeepingTheLocalFile(b, "k", Kind.INTERNAL, "SHA-256");
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void aMissingChunkOfTheCurrentVersionIsCorruptionNotARace() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        b.upload(file(random(3 * (16 << 10), 3)), "k");
        server.query("DELETE FROM " + CHUNKS + " WHERE object_key = 'k' AND idx = 1");
        assertDownloadFailsKeepingTheLocalFile(b, "k", Kind.INTERNAL, "chunk 1 is missing");
    }

    // ---- writes, orphans, ambiguity ------------------------------------------------------------

    @Test
    void anUploadThatDiesBeforeItsCommitLeavesTheOldObjectAndIsNotAmbiguous() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        byte[] old = random(3 * (16 << 10), 1);
        b.upload(file(old), "k");
        server.inject(Fault.refuse(500, errorBody(500, "boom")).whenBodyContains(CHUNK_INSERT).skipping(1));
        BackendException e = assertThrows(BackendException.class, () -> b.upload(file(random(3 * (16 << 10), 2)), "k"));
        assertEquals(Kind.TRANSPORT, e.kind(), e.toString());
        assertFalse(e.ambiguous(), "nothing had committed: " + e);
        assertTrue(e.getMessage().contains("stored object is unchanged"), e.getMessage());
        assertArrayEquals(old, download(b, "k"));
        assertEquals(1, generations("k"), "the failed upload's first chunks were deleted");
    }

    @Test
    void aLostAnswerToTheCommitIsAmbiguousAndTheWriteMayHaveHappened() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        b.upload(file(random(100, 1)), "k");
        byte[] next = random(100, 2);
        server.inject(Fault.afterApplying(500, errorBody(500, "lost")).whenBodyContains(COMMIT));
        BackendException e = assertThrows(BackendException.class, () -> b.upload(file(next), "k"));
        assertEquals(Kind.TRANSPORT, e.kind(), e.toString());
        assertTrue(e.ambiguous(), "the commit was applied, only its answer was lost: " + e);
        assertArrayEquals(next, download(b, "k"));
    }

    @Test
    void aFailureAfterTheSwitchRollsTheWholeCommitBack() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        byte[] old = random(100, 1);
        b.upload(file(old), "k");
        // The commit is: read the current generation, switch, read it again. Fail the last read.
        server.failStatement("SELECT generation FROM " + OBJECTS + " WHERE object_key = ?", "SQLITE_FULL", "database or disk is full", 1);
        BackendException e = assertThrows(BackendException.class, () -> b.upload(file(random(100, 2)), "k"));
        assertEquals(Kind.CONFIG, e.kind(), e.toString());
        assertTrue(e.getMessage().contains("SQLITE_FULL"), e.getMessage());
        assertArrayEquals(old, download(b, "k"), "the switch was rolled back with the statement after it");
        assertEquals(1, generations("k"), "the failed upload's chunks were deleted");
    }

    @Test
    void orphansOfAFailedUploadAreDeletedByTheNextUploadOnceOlderThanTheGrace() throws IOException {
        SqlSnapshotBackend patient = backend(tiny());
        SqlSnapshotBackend eager = backend(defaults().sizes(16 << 10, 16 << 10).orphanGrace(Duration.ZERO).build());
        patient.upload(file(random(100, 1)), "k");
        // The commit is refused without being applied: an ambiguous failure, so the chunks stay.
        server.inject(Fault.refuse(503, errorBody(503, "unavailable")).whenBodyContains(COMMIT));
        assertThrows(BackendException.class, () -> patient.upload(file(random(2 * (16 << 10), 2)), "k"));
        assertEquals(2, generations("k"), "the uncommitted generation's chunks are orphans");
        patient.upload(file(random(100, 3)), "k");
        assertEquals(2, generations("k"), "younger than the grace: it could be an upload still running");
        eager.upload(file(random(100, 4)), "k");
        assertEquals(1, generations("k"), "with no grace, only the current generation is left");
        assertArrayEquals(random(100, 4), download(eager, "k"));
    }

    @Test
    void deleteRemovesEveryGenerationAndIsFineWhenAbsent() throws IOException {
        SqlSnapshotBackend b = backend(tiny());
        b.upload(file(random(100, 1)), "k");
        server.inject(Fault.refuse(503, errorBody(503, "unavailable")).whenBodyContains(COMMIT));
        assertThrows(BackendException.class, () -> b.upload(file(random(100, 2)), "k"));
        b.delete("k");
        b.delete("k");
        assertFalse(b.exists("k"));
        assertEquals(0, generations("k"));
    }

    // ---- errors and secrets --------------------------------------------------------------------

    @Test
    void aWrongTokenIsAuthOnEveryOperationAndNeverAbsent() throws IOException {
        SqlSnapshotBackend good = backend();
        good.upload(file(new byte[] {1}), "k");
        SqlSnapshotBackend wrong = open(server, "not-the-token", defaults().build());
        Path f = file(new byte[] {2});
        List<Consumer<SqlSnapshotBackend>> calls = List.of(
                x -> x.upload(f, "k"), x -> x.download("k", scratch.resolve("out")), x -> x.download("missing", scratch.resolve("out")),
                x -> x.exists("k"), x -> x.delete("k"), x -> x.list(""));
        for (Consumer<SqlSnapshotBackend> call : calls) {
            BackendException e = assertThrows(BackendException.class, () -> call.accept(wrong));
            assertEquals(Kind.AUTH, e.kind(), e.toString());
            assertFalse(e.getMessage().contains("not-the-token"), e.getMessage());
        }
        assertTrue(good.exists("k"));
    }

    @Test
    void httpStatusesMapByTheSharedTable() throws IOException {
        SqlSnapshotBackend b = backend();
        b.upload(file(new byte[] {1}), "k");
        assertStatus(403, Kind.AUTH, false, () -> b.exists("k"));
        assertStatus(403, Kind.AUTH, false, () -> b.upload(file(new byte[] {2}), "k"));
        assertStatus(429, Kind.TRANSPORT, false, () -> b.delete("k"));
        assertStatus(500, Kind.TRANSPORT, false, () -> b.exists("k"));
        assertStatus(500, Kind.TRANSPORT, true, () -> b.delete("k"));
        assertStatus(502, Kind.TRANSPORT, false, () -> b.list(""));
        assertStatus(404, Kind.CONFIG, false, () -> b.download("k", scratch.resolve("x")));
        assertStatus(413, Kind.CONFIG, false, () -> b.exists("k"));
        assertTrue(b.exists("k"));
    }

    private void assertStatus(int status, Kind kind, boolean ambiguous, ThrowingRunnable call) {
        server.inject(Fault.refuse(status, errorBody(status, "injected " + status)));
        BackendException e = assertThrows(BackendException.class, call::run, "HTTP " + status);
        assertEquals(kind, e.kind(), "HTTP " + status + ": " + e);
        assertEquals(ambiguous, e.ambiguous(), "HTTP " + status + ": " + e);
        assertTrue(e.getMessage().contains(String.valueOf(status)), e.getMessage());
    }

    /** A call that may throw anything. */
    @FunctionalInterface
    protected interface ThrowingRunnable {
        /** Runs. */
        void run() throws Exception;
    }

    @Test
    void statementErrorCodesMapByKindAndAreNeverAuth() throws IOException {
        SqlSnapshotBackend b = backend();
        b.upload(file(new byte[] {1}), "k");
        assertStatementError("SQLITE_BUSY", "database is locked", Kind.TRANSPORT);
        assertStatementError("SQLITE_READONLY", "attempt to write a readonly database", Kind.CONFIG);
        assertStatementError("SQLITE_AUTH", "not authorized", Kind.CONFIG);
        assertStatementError("SQLITE_TOOBIG", "string or blob too big", Kind.CONFIG);
        assertStatementError("SQLITE_CONSTRAINT_PRIMARYKEY", "UNIQUE constraint failed", Kind.INTERNAL);
        assertStatementError("SQLITE_CORRUPT", "database disk image is malformed", Kind.INTERNAL);
        assertArrayEquals(new byte[] {1}, download(b, "k"), "every failed upload left the object alone");
    }

    private void assertStatementError(String code, String message, Kind kind) throws IOException {
        SqlSnapshotBackend b = backend();
        server.failStatement(CHUNK_INSERT, code, message);
        BackendException e = assertThrows(BackendException.class, () -> b.upload(file(new byte[] {9}), "k"), code);
        assertEquals(kind, e.kind(), code + ": " + e);
        assertFalse(e.ambiguous(), code + ": a failed statement rolled its transaction back: " + e);
        assertTrue(e.getMessage().contains(code), e.getMessage());
    }

    @Test
    void theTokenNeverAppearsInNamesStringsOrMessages() throws IOException {
        SqlSnapshotBackend b = backend();
        assertFalse(b.exists("warm"), "creates the tables, so the faults below hit the calls themselves");
        List<String> shown = new ArrayList<>(List.of(b.name(), b.toString()));
        // A server that echoes the token back in its error text.
        for (int status : new int[] {400, 401, 403, 500}) {
            server.inject(Fault.refuse(status, errorBody(status, "bad request from Bearer " + TOKEN)));
            BackendException e = assertThrows(BackendException.class, () -> b.exists("k"));
            shown.add(e.getMessage());
            shown.add(e.toString());
        }
        server.failStatement("SELECT 1", "SQLITE_ERROR", "no such thing as " + TOKEN);
        shown.add(assertThrows(BackendException.class, () -> b.exists("k")).getMessage());
        for (String s : shown) {
            assertFalse(s.contains(TOKEN), s);
        }
        assertTrue(shown.stream().anyMatch(s -> s.contains("[token hidden]")), "the echo was scrubbed, not lost: " + shown);
    }

    // ---- measured, not asserted ----------------------------------------------------------------

    @Test
    void throughputAgainstTheFakeIsPrinted() throws IOException {
        SqlSnapshotBackend b = backend();
        byte[] content = random(32 << 20, 5);
        Path source = file(content);
        long t0 = System.nanoTime();
        b.upload(source, "throughput");
        long t1 = System.nanoTime();
        byte[] back = download(b, "throughput");
        long t2 = System.nanoTime();
        assertTrue(Arrays.equals(content, back));
        System.out.printf("[measured] %s: 32 MiB up %.1f MiB/s, down %.1f MiB/s (%d requests, largest body %d KiB)%n",
                getClass().getSimpleName(), 32 / ((t1 - t0) / 1e9), 32 / ((t2 - t1) / 1e9), server.requestCount(),
                server.largestRequestBody() >> 10);
    }
}
