package dev.tenure.backend.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What is particular to {@link LocalBackend}: its files, its root, and bad content on disk. */
class LocalBackendTest {

    @TempDir
    Path parent;
    Path root;
    LocalBackend backend;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(parent.resolve("root"));
        backend = LocalBackend.open(root);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Path fileOf(String key) {
        return KeyPaths.relativePath(backend.root(), key);
    }

    // ---- corrupt content -----------------------------------------------------------------------

    @Test
    void aFlippedContentByteIsReportedAsCorruptAndNeverServed() throws IOException {
        backend.put("k", utf8("precious content"), ConditionalPut.ifAbsent());
        try (RandomAccessFile f = new RandomAccessFile(fileOf("k").toFile(), "rw")) {
            f.seek(ObjectFile.HEADER_BYTES + 3);
            f.write('#');
        }
        BackendException e = assertThrows(BackendException.class, () -> backend.read("k"));
        assertCorrupt(e, "content checksum mismatch");
        Path local = parent.resolve("local.db");
        Files.write(local, utf8("good local copy"));
        assertCorrupt(assertThrows(BackendException.class, () -> backend.download("k", local)), "content checksum mismatch");
        assertArrayEquals(utf8("good local copy"), Files.readAllBytes(local), "a corrupt object must not replace the local file");
    }

    @Test
    void aTruncatedObjectIsReportedAndNotOverwrittenByAConditionalWrite() throws IOException {
        ObjectVersion v = backend.put("k", utf8("a longer piece of content"), ConditionalPut.ifAbsent());
        Path file = fileOf("k");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(ObjectFile.HEADER_BYTES + 5);
        }
        byte[] before = Files.readAllBytes(file);
        assertCorrupt(assertThrows(BackendException.class, () -> backend.read("k")), "truncated");
        assertCorrupt(assertThrows(BackendException.class, () -> backend.objectVersion("k")), "truncated");
        assertCorrupt(assertThrows(BackendException.class, () -> backend.put("k", utf8("x"), ConditionalPut.ifVersion(v))), "truncated");
        assertCorrupt(assertThrows(BackendException.class, () -> backend.put("k", utf8("x"), ConditionalPut.ifAbsent())), "truncated");
        assertArrayEquals(before, Files.readAllBytes(file), "nothing may be overwritten");
    }

    @Test
    void aTruncatedHeaderAndAForeignFileAreReported() throws IOException {
        backend.put("short", utf8("x"), ConditionalPut.ifAbsent());
        try (RandomAccessFile f = new RandomAccessFile(fileOf("short").toFile(), "rw")) {
            f.setLength(10);
        }
        assertCorrupt(assertThrows(BackendException.class, () -> backend.read("short")), "truncated header");
        Files.write(fileOf("foreign"), utf8("this file was copied in by hand, it has no header at all"));
        assertCorrupt(assertThrows(BackendException.class, () -> backend.read("foreign")), "not a Tenure object");
        backend.put("hdr", utf8("y"), ConditionalPut.ifAbsent());
        try (RandomAccessFile f = new RandomAccessFile(fileOf("hdr").toFile(), "rw")) {
            f.seek(12);
            f.write(0x55);
        }
        assertCorrupt(assertThrows(BackendException.class, () -> backend.objectVersion("hdr")), "header checksum mismatch");
    }

    @Test
    void anUnconditionalUploadMayReplaceACorruptObject() throws IOException {
        backend.put("k", utf8("x"), ConditionalPut.ifAbsent());
        Files.write(fileOf("k"), utf8("garbage"));
        Path good = parent.resolve("good");
        Files.write(good, utf8("repaired"));
        backend.upload(good, "k");
        assertArrayEquals(utf8("repaired"), backend.read("k").orElseThrow().value());
    }

    private static void assertCorrupt(BackendException e, String problem) {
        assertEquals(BackendException.Kind.INTERNAL, e.kind(), e.toString());
        assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains(problem), e.getMessage());
        assertTrue(e.key().isPresent() && e.getMessage().contains(e.key().get()), e.getMessage());
    }

    // ---- the root ------------------------------------------------------------------------------

    @Test
    void aMissingRootOrAFileAsRootIsAConfigError() throws IOException {
        Path missing = parent.resolve("no-such-root");
        BackendException e = assertThrows(BackendException.class, () -> LocalBackend.open(missing));
        assertEquals(BackendException.Kind.CONFIG, e.kind());
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
        assertFalse(Files.exists(missing), "open must not create the root");
        Path file = Files.writeString(parent.resolve("a-file"), "x");
        BackendException notDir = assertThrows(BackendException.class, () -> LocalBackend.open(file));
        assertEquals(BackendException.Kind.CONFIG, notDir.kind());
        assertTrue(notDir.getMessage().contains("not a directory"), notDir.getMessage());
        LocalBackend created = LocalBackend.create(parent.resolve("made/on/demand"));
        assertTrue(Files.isDirectory(created.root()));
    }

    @Test
    void aReadOnlyRootRefusesWritesWithATypedErrorAndStillServesReads() throws Exception {
        backend.put("existing", utf8("readable"), ConditionalPut.ifAbsent());
        Path fresh = Files.createDirectory(parent.resolve("fresh-root"));
        ReadOnly readOnly = ReadOnly.make(root, fresh);
        try {
            LocalBackend reader = LocalBackend.open(root);
            assertArrayEquals(utf8("readable"), reader.read("existing").orElseThrow().value());
            assertEquals(List.of("existing"), reader.list(""));
            BackendException e = assertThrows(BackendException.class,
                    () -> reader.put("new-key", utf8("x"), ConditionalPut.ifAbsent()));
            assertTrue(e.kind() == BackendException.Kind.AUTH || e.kind() == BackendException.Kind.CONFIG, e.toString());
            assertTrue(e.getMessage().contains(root.toString()), e.getMessage());
            BackendException fromFresh = assertThrows(BackendException.class,
                    () -> LocalBackend.open(fresh).put("k", utf8("x"), ConditionalPut.ifAbsent()));
            assertTrue(fromFresh.kind() == BackendException.Kind.AUTH || fromFresh.kind() == BackendException.Kind.CONFIG, fromFresh.toString());
            assertTrue(fromFresh.getMessage().contains(fresh.toString()), fromFresh.getMessage());
        } finally {
            readOnly.undo();
        }
        assertEquals(List.of("existing"), backend.list(""), "nothing may have been written");
        assertEquals(Optional.empty(), LocalBackend.open(fresh).objectVersion("k"));
    }

    /** Makes directories unwritable: chmod for an ordinary user, the immutable attribute for root. */
    private record ReadOnly(List<Path> dirs, boolean immutable) {
        static ReadOnly make(Path... dirs) throws Exception {
            boolean isRoot = "root".equals(System.getProperty("user.name"));
            // The directories that writes go through: the root itself and the internal one it made.
            List<Path> all = Stream.of(dirs).flatMap(d -> Stream.of(d, d.resolve(".tenure"), d.resolve(".tenure/tmp")))
                    .filter(Files::isDirectory).toList();
            for (Path dir : all) {
                if (isRoot) {
                    Process p = new ProcessBuilder("chattr", "+i", dir.toString()).redirectErrorStream(true).start();
                    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    if (p.waitFor() != 0) {
                        new ReadOnly(all, true).undo();
                        String why = "running as root and 'chattr +i' is not available here (" + out.trim()
                                + "), so no directory can be made read-only for this test";
                        System.out.println("[skip] " + why);
                        Assumptions.abort(why);
                    }
                } else if (!dir.toFile().setWritable(false, false)) {
                    String why = "cannot make " + dir + " read-only";
                    System.out.println("[skip] " + why);
                    Assumptions.abort(why);
                }
            }
            return new ReadOnly(all, isRoot);
        }

        void undo() throws Exception {
            for (Path dir : dirs) {
                if (immutable) {
                    new ProcessBuilder("chattr", "-i", dir.toString()).start().waitFor();
                } else {
                    dir.toFile().setWritable(true, true);
                }
            }
        }
    }

    // ---- escaping the root ---------------------------------------------------------------------

    @Test
    void traversalKeysNeverTouchAnythingOutsideTheRoot() throws IOException {
        for (String bad : List.of("../escape", "a/../../escape", "..", "/etc/passwd", "a/./../b")) {
            BackendException e = assertThrows(BackendException.class, () -> backend.put(bad, utf8("x"), ConditionalPut.ifAbsent()));
            assertEquals(BackendException.Kind.CONFIG, e.kind());
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        try (Stream<Path> siblings = Files.list(parent)) {
            assertEquals(List.of(root), siblings.toList());
        }
    }

    @Test
    void aSymlinkPlantedInsideTheRootIsNeverFollowed() throws IOException {
        Path outside = Files.createDirectory(parent.resolve("outside"));
        Path outsideFile = Files.writeString(outside.resolve("secret.obj"), "outside content");
        Files.createSymbolicLink(root.resolve("evil"), outside);
        Files.createSymbolicLink(root.resolve("link.obj"), outsideFile);

        for (String key : List.of("evil/secret", "evil/new", "link")) {
            BackendException write = assertThrows(BackendException.class, () -> backend.put(key, utf8("x"), ConditionalPut.ifAbsent()));
            assertEquals(BackendException.Kind.CONFIG, write.kind(), write.toString());
            assertTrue(write.getMessage().contains("symbolic link"), write.getMessage());
            BackendException read = assertThrows(BackendException.class, () -> backend.read(key));
            assertEquals(BackendException.Kind.CONFIG, read.kind());
            assertThrows(BackendException.class, () -> backend.delete(key));
        }
        assertEquals("outside content", Files.readString(outsideFile));
        try (Stream<Path> files = Files.list(outside)) {
            assertEquals(List.of(outsideFile), files.toList());
        }
        assertEquals(List.of(), backend.list(""), "list must not follow symbolic links");
    }

    // ---- what list() shows ---------------------------------------------------------------------

    @Test
    void listNeverShowsTemporaryLockOrForeignFiles() throws IOException {
        backend.put("a/b", utf8("1"), ConditionalPut.ifAbsent());
        backend.put("c", utf8("2"), ConditionalPut.ifAbsent());
        Files.writeString(root.resolve(".tenure/tmp/leftover.tmp"), "half a write");
        Files.writeString(root.resolve("a/notes.txt"), "someone's file");
        Files.writeString(root.resolve("a/.c.obj.123.tmp"), "x");
        Files.createDirectories(root.resolve("empty/dir"));
        assertTrue(Files.list(root.resolve(".tenure/locks")).findAny().isPresent(), "lock files exist");
        assertEquals(List.of("a/b", "c"), backend.list(""));
    }

    @Test
    void staleTemporaryFilesFromCrashedWritersAreRemovedAtOpen() throws IOException {
        backend.put("k", utf8("1"), ConditionalPut.ifAbsent());
        Path stale = Files.writeString(root.resolve(".tenure/tmp/dead.tmp"), "crashed");
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minusSeconds(7200)));
        Path recent = Files.writeString(root.resolve(".tenure/tmp/live.tmp"), "in flight");
        LocalBackend.open(root);
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(recent), "a recent temporary file may belong to a live writer");
    }

    @Test
    void versionsChangeOnEveryWriteAndStayUniqueAcrossDeletes() {
        ObjectVersion v1 = backend.put("k", utf8("same"), ConditionalPut.ifAbsent());
        ObjectVersion v2 = backend.put("k", utf8("same"), ConditionalPut.ifVersion(v1));
        assertNotEquals(v1, v2);
        assertTrue(v1.token().startsWith("1-") && v2.token().startsWith("2-"), v1 + " " + v2);
        backend.delete("k");
        ObjectVersion v3 = backend.put("k", utf8("same"), ConditionalPut.ifAbsent());
        assertTrue(v3.token().startsWith("1-"));
        assertNotEquals(v1, v3, "the nonce keeps a recreated object's version new");
    }

    // ---- directories made on demand -------------------------------------------------------------

    @Test
    void directoriesRemovedAfterTheFirstWriteAreMadeAgain() throws IOException {
        // Writes no longer check the lock, temporary and key directories each time; they make them
        // when an open or the rename finds them missing. Removed behind the backend's back, all come back.
        backend.put("a/b/c", utf8("1"), ConditionalPut.ifAbsent());
        backend.put("empty", new byte[0], ConditionalPut.ifAbsent());
        deleteTree(root.resolve(".tenure"));
        deleteTree(root.resolve("a"));
        ObjectVersion v = backend.put("a/b/c", utf8("2"), ConditionalPut.ifAbsent());
        assertEquals("2", new String(backend.read("a/b/c").orElseThrow().value(), StandardCharsets.UTF_8));
        assertEquals(v, backend.read("a/b/c").orElseThrow().version());
        assertArrayEquals(new byte[0], backend.read("empty").orElseThrow().value(), "an empty object keeps its header");
        assertEquals(List.of("a/b/c", "empty"), backend.list(""));
    }

    @Test
    void aFileWhereAKeysDirectoryShouldBeIsReportedAndLeftAlone() throws IOException {
        Files.writeString(root.resolve("a"), "someone's file");
        BackendException e = assertThrows(BackendException.class, () -> backend.put("a/b", utf8("x"), ConditionalPut.ifAbsent()));
        assertEquals(BackendException.Kind.INTERNAL, e.kind(), e.toString());
        assertTrue(e.getMessage().contains("Not a directory"), e.getMessage());
        assertEquals("someone's file", Files.readString(root.resolve("a")));
    }

    private static void deleteTree(Path top) throws IOException {
        try (Stream<Path> all = Files.walk(top)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
