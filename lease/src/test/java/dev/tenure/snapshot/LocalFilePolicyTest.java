package dev.tenure.snapshot;

import static dev.tenure.snapshot.Fixtures.OPTIONS;
import static dev.tenure.snapshot.Fixtures.bytes;
import static dev.tenure.snapshot.Fixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.RemoteBackend;
import dev.tenure.backend.http.AtomicHttpBackend;
import dev.tenure.backend.http.HttpBackend;
import dev.tenure.backend.http.HttpSettings;
import dev.tenure.backend.conformance.ObjectServerDouble;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 11, item 15: opening a writer never overwrites local data the store does not have, unless
 * the caller asks; {@link LocalFilePolicy#UPLOAD_LOCAL_FILE} uploads the file exactly as given.
 * Every case runs on fenced and unfenced stores, in memory, on disk and over HTTP.
 */
class LocalFilePolicyTest {

    @TempDir
    Path dir;

    private ObjectServerDouble server;
    private RemoteBackend backend;

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Where the snapshot lives, and which kind of writer writes it. */
    enum Target {
        FENCED_MEMORY, FENCED_LOCAL, FENCED_HTTP, UNFENCED_MEMORY, UNFENCED_HTTP;

        boolean fenced() {
            return name().startsWith("FENCED");
        }
    }

    /** Opens writers of one snapshot; fenced writers get a new, higher epoch each time, as a new lease holder would. */
    private final class Writers {
        final AbstractSnapshotStore store;
        private final AtomicLong epochs = new AtomicLong();

        Writers(Target target) throws IOException {
            backend = switch (target) {
                case FENCED_MEMORY, UNFENCED_MEMORY -> new InMemoryBackend();
                case FENCED_LOCAL -> LocalBackend.create(dir.resolve("store"));
                case FENCED_HTTP -> AtomicHttpBackend.open(HttpSettings.builder(startServer())
                        .preconditions(HttpSettings.Preconditions.ENFORCED).build());
                case UNFENCED_HTTP -> HttpBackend.open(HttpSettings.builder(startServer()).build());
            };
            store = target.fenced()
                    ? SnapshotStore.open((AtomicRemoteBackend) backend, "db", OPTIONS)
                    : UnconditionalSnapshotStore.open(backend, "db", OPTIONS);
        }

        SnapshotWriter open(Path file, LocalFilePolicy policy) {
            if (store instanceof SnapshotStore fenced) {
                return fenced.writer(new FencingToken("db-writer", epochs.incrementAndGet()), "w", file, policy);
            }
            return ((UnconditionalSnapshotStore) store).unfencedWriter("w", file, policy);
        }

        SnapshotWriter open(Path file) {
            if (store instanceof SnapshotStore fenced) {
                return fenced.writer(new FencingToken("db-writer", epochs.incrementAndGet()), "w", file);
            }
            return ((UnconditionalSnapshotStore) store).unfencedWriter("w", file);
        }

        private java.net.URI startServer() throws IOException {
            server = new ObjectServerDouble();
            return server.base();
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @EnumSource(Target.class)
    void openingAWriterNeverOverwritesLocalDataTheStoreDoesNotHave(Target target) throws IOException {
        Writers writers = new Writers(target);
        Path file = dir.resolve("w.db");
        write(file, utf8("generation one"));
        writers.open(file).flush();

        write(file, utf8("generation one, then edited and never flushed"));
        SnapshotException.LocalChanges changed = assertThrows(SnapshotException.LocalChanges.class, () -> writers.open(file));
        assertArrayEquals(utf8("generation one, then edited and never flushed"), bytes(file), "the edit is still there");
        assertTrue(changed.getMessage().contains(file.toString()) && changed.getMessage().contains("changed since it held generation 1"),
                changed.getMessage());

        Path foreign = dir.resolve("other.db");
        write(foreign, utf8("a database that never came from this snapshot"));
        SnapshotException.LocalChanges unknown = assertThrows(SnapshotException.LocalChanges.class, () -> writers.open(foreign));
        assertArrayEquals(utf8("a database that never came from this snapshot"), bytes(foreign));
        assertTrue(unknown.getMessage().contains("did not come from snapshot db"), unknown.getMessage());

        Path missing = dir.resolve("fresh/w.db");
        writers.open(missing).close();
        assertArrayEquals(utf8("generation one"), bytes(missing), "a missing file has nothing to lose: it is downloaded");

        writers.open(file, LocalFilePolicy.DISCARD_LOCAL_CHANGES).close();
        assertArrayEquals(utf8("generation one"), bytes(file), "discarding is the caller's explicit choice");
        assertEquals(1, writers.store.latest().orElseThrow().generation(), "no refused open wrote content");
    }

    @ParameterizedTest
    @EnumSource(Target.class)
    void anUnchangedCopyOfAnOlderGenerationIsBroughtUpToDate(Target target) throws IOException {
        Writers writers = new Writers(target);
        Path file = dir.resolve("w.db");
        write(file, utf8("generation one"));
        SnapshotWriter first = writers.open(file);
        first.flush();
        Path replica = dir.resolve("replica.db");
        writers.store.reader(replica);
        write(file, utf8("generation two"));
        first.flush();

        writers.open(replica).close();
        assertArrayEquals(utf8("generation two"), bytes(replica), "an unchanged copy of stored content holds nothing unsaved");
    }

    @ParameterizedTest
    @EnumSource(Target.class)
    void uploadLocalFileFlushesTheFileExactlyAsGiven(Target target) throws IOException {
        Writers writers = new Writers(target);
        Path file = dir.resolve("w.db");
        write(file, utf8("generation one"));
        writers.open(file).flush();

        Path edited = dir.resolve("edited.db");
        write(edited, utf8("edited somewhere else"));
        try (SnapshotWriter push = writers.open(edited, LocalFilePolicy.UPLOAD_LOCAL_FILE)) {
            assertArrayEquals(utf8("edited somewhere else"), bytes(edited), "opening left the file alone");
            assertEquals(2, push.flush().generation());
        }
        Path replica = dir.resolve("replica.db");
        writers.store.reader(replica);
        assertArrayEquals(utf8("edited somewhere else"), bytes(replica), "what was pushed is the file given, not the stored one");

        write(file, utf8("generation one, edited"));
        try (SnapshotWriter again = writers.open(file, LocalFilePolicy.UPLOAD_LOCAL_FILE)) {
            assertEquals(3, again.flush().generation());
        }
        assertArrayEquals(utf8("generation one, edited"), bytes(file));
        writers.store.reader(replica);
        assertArrayEquals(utf8("generation one, edited"), bytes(replica));

        Path absent = dir.resolve("absent.db");
        BackendException e = assertThrows(BackendException.class, () -> writers.open(absent, LocalFilePolicy.UPLOAD_LOCAL_FILE));
        assertEquals(BackendException.Kind.CONFIG, e.kind());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertFalse(Files.exists(absent), "nothing was made from the store");
        assertEquals(3, writers.store.latest().orElseThrow().generation());
    }
}
