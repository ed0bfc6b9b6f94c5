package dev.tenure.backend.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 19, through the {@link Disk} seam (these tests run as root, where file modes deny
 * nothing): a failure after a change was made is ambiguous, and an error is never "absent".
 */
class LocalBackendFaultsTest {

    @TempDir
    Path parent;
    Path root;
    final AtomicBoolean failDirectorySync = new AtomicBoolean();
    final AtomicBoolean failLockRelease = new AtomicBoolean();
    final AtomicReference<IOException> attributeFailure = new AtomicReference<>();
    LocalBackend backend;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(parent.resolve("root"));
        backend = LocalBackend.open(root, new Disk() {
            @Override
            public void syncDirectory(Path dir) throws IOException {
                if (failDirectorySync.get()) {
                    throw new IOException("Input/output error");
                }
                Disk.super.syncDirectory(dir);
            }

            @Override
            public BasicFileAttributes attributes(Path file) throws IOException {
                IOException e = attributeFailure.get();
                if (e != null) {
                    throw e;
                }
                return Disk.super.attributes(file);
            }

            @Override
            public KeyLocks.Held guard(KeyLocks.Held held) {
                return new KeyLocks.Held() {
                    @Override
                    public void checkOwner() {
                        held.checkOwner();
                    }

                    @Override
                    public void close() throws IOException {
                        held.close();
                        if (failLockRelease.get()) {
                            throw new IOException("Input/output error");
                        }
                    }
                };
            }
        });
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static BackendException ambiguous(BackendException e) {
        assertEquals(BackendException.Kind.TRANSPORT, e.kind(), e.toString());
        assertTrue(e.ambiguous(), e.toString());
        assertTrue(e.getMessage().contains("may have been applied"), e.getMessage());
        return e;
    }

    @Test
    void aDirectorySyncFailingAfterTheRenameMakesTheWriteAmbiguous() {
        ObjectVersion v1 = backend.put("k", utf8("one"), ConditionalPut.ifAbsent());
        failDirectorySync.set(true);
        ambiguous(assertThrows(BackendException.class, () -> backend.put("k", utf8("two"), ConditionalPut.ifVersion(v1))));
        assertArrayEquals(utf8("two"), backend.read("k").orElseThrow().value(), "the write was applied: reading back shows it");
        ambiguous(assertThrows(BackendException.class, () -> backend.delete("k")));
        assertFalse(backend.exists("k"), "the delete was applied");
    }

    @Test
    void aDirectorySyncFailingBeforeTheRenameIsADefiniteFailure() {
        failDirectorySync.set(true);
        // A new key under a new directory: the directory is made and synced before the object is renamed in.
        BackendException e = assertThrows(BackendException.class, () -> backend.put("dir/k", utf8("x"), ConditionalPut.ifAbsent()));
        assertFalse(e.ambiguous(), e.toString());
        assertEquals(BackendException.Kind.INTERNAL, e.kind(), e.toString());
        failDirectorySync.set(false);
        assertTrue(backend.read("dir/k").isEmpty(), "nothing was applied");
    }

    @Test
    void aLockReleaseFailingAfterTheRenameMakesTheWriteAmbiguousButNotARefusal() {
        failLockRelease.set(true);
        ambiguous(assertThrows(BackendException.class, () -> backend.put("k", utf8("one"), ConditionalPut.ifAbsent())));
        assertArrayEquals(utf8("one"), backend.read("k").orElseThrow().value());
        BackendException refused = assertThrows(BackendException.class, () -> backend.put("k", utf8("x"), ConditionalPut.ifAbsent()));
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, refused.kind(), "a refusal stays a refusal: " + refused);
        assertFalse(refused.ambiguous());
    }

    @Test
    void existsNeverReadsAnErrorAsAbsent() {
        backend.put("k", utf8("here"), ConditionalPut.ifAbsent());
        attributeFailure.set(new AccessDeniedException(root.resolve("k.obj").toString()));
        BackendException denied = assertThrows(BackendException.class, () -> backend.exists("k"));
        assertEquals(BackendException.Kind.AUTH, denied.kind(), denied.toString());
        attributeFailure.set(new IOException("Input/output error"));
        BackendException io = assertThrows(BackendException.class, () -> backend.exists("k"));
        assertEquals(BackendException.Kind.INTERNAL, io.kind(), io.toString());
        attributeFailure.set(null);
        assertTrue(backend.exists("k"));
        assertFalse(backend.exists("absent"), "a missing file is absent");
        assertFalse(backend.exists("no/such/dir"), "so is a missing directory on the way");
    }
}
