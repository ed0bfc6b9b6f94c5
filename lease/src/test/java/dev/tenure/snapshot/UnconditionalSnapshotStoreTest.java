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
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.snapshot.Fixtures.PlainBackend;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnconditionalSnapshotStoreTest {

    @TempDir
    Path dir;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aPlainBackendRoundTripsAndCaches() {
        InMemoryBackend memory = new InMemoryBackend();
        PlainBackend plain = new PlainBackend(memory);
        UnconditionalSnapshotStore snapshots = UnconditionalSnapshotStore.open(plain, "db", OPTIONS);
        Path file = dir.resolve("w.db");
        write(file, utf8("one"));
        try (SnapshotWriter writer = snapshots.unfencedWriter("w", file)) {
            assertFalse(writer.conditional());
            assertEquals(0, writer.epoch());
            SnapshotInfo first = writer.flush();
            assertEquals(1, first.generation());
            assertEquals(0, first.epoch());
            write(file, utf8("two"));
            assertEquals(2, writer.flush().generation());
        }
        Path readerFile = dir.resolve("r.db");
        SnapshotReader reader = snapshots.reader(readerFile);
        assertArrayEquals(utf8("two"), bytes(readerFile));
        int downloads = plain.downloads.get();
        assertFalse(reader.refresh());
        assertEquals(downloads + 1, plain.downloads.get(), "a refresh with nothing new downloads the manifest only");
        assertEquals(2, memory.list("snapshots/db/data/").size(), "current and previous content are kept");
    }

    @Test
    void plainWritersOverwriteEachOtherTheLastWins() {
        UnconditionalSnapshotStore snapshots = UnconditionalSnapshotStore.open(new PlainBackend(new InMemoryBackend()), "db", OPTIONS);
        Path a = dir.resolve("a.db");
        Path b = dir.resolve("b.db");
        SnapshotWriter writerA = snapshots.unfencedWriter("a", a);
        SnapshotWriter writerB = snapshots.unfencedWriter("b", b);
        write(a, utf8("a"));
        write(b, utf8("b"));
        writerA.flush();
        SnapshotInfo last = writerB.flush();
        assertEquals(2, last.generation(), "b wrote over a without having seen it: that is what unconditional means");
        assertEquals(last, snapshots.latest().orElseThrow());
    }

    @Test
    void anUnfencedWriterRefusesASnapshotThatFencedWritersOwn() {
        InMemoryBackend memory = new InMemoryBackend();
        UnconditionalSnapshotStore plain = UnconditionalSnapshotStore.open(new PlainBackend(memory), "db", OPTIONS);
        Path file = dir.resolve("u.db");
        write(file, utf8("unfenced"));
        SnapshotWriter unfenced = plain.unfencedWriter("u", file);
        unfenced.flush();

        Path fencedFile = dir.resolve("f.db");
        SnapshotStore.open(memory, "db", OPTIONS).writer(new FencingToken("db-writer", 1), "f", fencedFile);
        assertArrayEquals(utf8("unfenced"), bytes(fencedFile), "the fenced writer took over the unfenced content");
        assertThrows(SnapshotException.Fenced.class, unfenced::flush);
        assertThrows(SnapshotException.Fenced.class, () -> plain.unfencedWriter("u2", dir.resolve("u2.db")));
    }

    @Test
    void corruptPlainContentIsATypedError() {
        InMemoryBackend memory = new InMemoryBackend();
        UnconditionalSnapshotStore snapshots = UnconditionalSnapshotStore.open(new PlainBackend(memory), "db", OPTIONS);
        Path file = dir.resolve("w.db");
        write(file, utf8("good"));
        SnapshotWriter writer = snapshots.unfencedWriter("w", file);
        writer.flush();
        Path readerFile = dir.resolve("r.db");
        SnapshotReader reader = snapshots.reader(readerFile);
        write(file, utf8("newer"));
        String key = writer.flush().contentKey();
        Fixtures.tamper(memory, key, dir, x -> utf8("NEWER"));
        assertThrows(SnapshotException.Integrity.class, reader::refresh);
        assertArrayEquals(utf8("good"), bytes(readerFile));
    }

    @Test
    void theApiShowsWhichStoresCanFence() throws Exception {
        Method open = SnapshotStore.class.getMethod("open", AtomicRemoteBackend.class, String.class, SnapshotOptions.class);
        assertTrue(Modifier.isStatic(open.getModifiers()), "a fenced store needs an atomic backend");
        assertThrows(NoSuchMethodException.class,
                () -> SnapshotStore.class.getMethod("open", RemoteBackend.class, String.class, SnapshotOptions.class));
        boolean anyTokenParameter = Arrays.stream(UnconditionalSnapshotStore.class.getMethods())
                .anyMatch(m -> Arrays.asList(m.getParameterTypes()).contains(FencingToken.class));
        assertFalse(anyTokenParameter, "an unconditional store cannot make a fenced writer");
        assertEquals(Set.of(SnapshotWriter.class), Set.of(SnapshotStore.class.getMethod("writer", FencingToken.class, String.class,
                Path.class).getReturnType()));
    }

    @Test
    void badNamesAreConfigErrorsHereToo() {
        PlainBackend plain = new PlainBackend(new InMemoryBackend());
        for (String name : new String[] {"", "a/b", "..", "x\u0001"}) {
            assertEquals(BackendException.Kind.CONFIG,
                    assertThrows(BackendException.class, () -> UnconditionalSnapshotStore.open(plain, name, OPTIONS)).kind(), name);
        }
    }
}
