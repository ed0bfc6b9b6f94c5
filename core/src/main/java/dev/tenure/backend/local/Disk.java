package dev.tenure.backend.local;

import dev.tenure.backend.internal.LocalFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The file-system calls of {@link LocalBackend} whose failures tests inject: an EIO from a
 * directory sync, a permission or I/O error reading attributes, an error releasing a key lock.
 * Tests run as root here, where {@code chmod} denies nothing, so these are seams rather than
 * file modes. {@link #REAL} makes the real calls.
 */
interface Disk {

    /** The real file system. */
    Disk REAL = new Disk() {
    };

    /** Makes a directory's entries durable. */
    default void syncDirectory(Path dir) throws IOException {
        LocalFiles.fsyncDirectory(dir);
    }

    /** The attributes of {@code file} itself, never of what a link points to. */
    default BasicFileAttributes attributes(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    /** The lock as held; a test wraps it to make its release fail. */
    default KeyLocks.Held guard(KeyLocks.Held held) {
        return held;
    }
}
