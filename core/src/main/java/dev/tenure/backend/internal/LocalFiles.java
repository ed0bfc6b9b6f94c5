package dev.tenure.backend.internal;

import dev.tenure.backend.BackendException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Durable, atomic replacement of local files, and the mapping of local I/O failures to
 * {@link BackendException} kinds. Used by every backend that downloads into a local path.
 */
public final class LocalFiles {

    private LocalFiles() {
    }

    /** Writes content into a file; the channel is positioned at 0 and empty. */
    @FunctionalInterface
    public interface ContentWriter {
        /** Writes the content. */
        void writeTo(FileChannel out) throws IOException;
    }

    /**
     * Replaces {@code target} with the content {@code writer} produces: a temporary file in the
     * same directory is written, fsynced, renamed over the target atomically, and the directory is
     * fsynced, so a crash leaves the old file or the new one, never a torn one.
     *
     * @param key the key the content belongs to, for error messages
     */
    public static void replaceAtomically(Path target, String key, ContentWriter writer) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            Files.createDirectories(dir);
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writer.writeTo(out);
                out.force(true);
            }
            moveAtomically(tmp, target);
            fsyncDirectory(dir);
        } catch (IOException e) {
            throw mapLocalFailure(key, target, "write", e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** Renames {@code from} over {@code to} atomically; fails with CONFIG where the file system cannot. */
    public static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw BackendException.config(null, "the file system under " + to.getParent()
                    + " cannot rename atomically; Tenure needs a local POSIX file system there", e);
        }
    }

    /** Syncs an open channel; the seam through which tests make {@code force} fail. */
    @FunctionalInterface
    interface ChannelSync {
        void force(FileChannel channel) throws IOException;
    }

    /**
     * Makes a directory's entries (a rename, a new or deleted file) durable.
     *
     * @throws IOException when the sync itself fails (EIO: the entries may not survive a crash),
     *     or the directory cannot be opened and is not a directory
     */
    public static void fsyncDirectory(Path dir) throws IOException {
        fsyncDirectory(dir, channel -> channel.force(true));
    }

    static void fsyncDirectory(Path dir, ChannelSync sync) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException e) {
            // Some file systems refuse to open a directory; the rename is still atomic there, only
            // its durability across power loss is up to the file system.
            if (!Files.isDirectory(dir)) {
                throw e;
            }
            return;
        }
        try (channel) {
            sync.force(channel);
        } catch (IOException e) {
            // A file system that cannot sync directories says so (EINVAL, ENOTSUP); anything else,
            // EIO above all, means the entries may be lost, and the caller must hear it.
            if (!refusesDirectorySync(e)) {
                throw e;
            }
        }
    }

    /** True when {@code force} failed because the file system does not sync directories, not because a write failed. */
    static boolean refusesDirectorySync(IOException e) {
        String message = String.valueOf(e.getMessage());
        return message.contains("Invalid argument") || message.contains("not supported");
    }

    /** Writes the whole buffer, looping over short writes. */
    public static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** Writes the whole buffer at {@code position}, looping over short writes. */
    public static void writeFully(FileChannel out, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            at += out.write(buffer, at);
        }
    }

    /** Deletes a file if it exists, ignoring failure: used for temporary files only. */
    public static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // A leftover temporary file is harmless; it never shows as an object.
        }
    }

    /**
     * Maps a local I/O failure to a backend error that names the path and says what to fix.
     *
     * @param action what was being done ("read", "write", "delete", "list")
     */
    public static BackendException mapLocalFailure(String key, Path path, String action, IOException e) {
        if (e instanceof AccessDeniedException) {
            return BackendException.auth(key, "permission denied to " + action + " " + path
                    + ": check the owner and mode of the directory", e);
        }
        if (e instanceof NoSuchFileException) {
            return BackendException.notFound(key, "cannot " + action + " " + path + ": no such file or directory");
        }
        if (e instanceof FileSystemException fse) {
            String reason = String.valueOf(fse.getReason());
            if (reason.contains("Read-only file system")) {
                return BackendException.config(key, "cannot " + action + " " + path
                        + ": the file system is read-only; give Tenure a writable root", e);
            }
            if (reason.contains("Operation not permitted")) {
                return BackendException.auth(key, "cannot " + action + " " + path
                        + ": operation not permitted (is the directory immutable or owned by another user?)", e);
            }
            if (reason.contains("No space left")) {
                return BackendException.internal(key, "cannot " + action + " " + path + ": no space left on device", e);
            }
        }
        return BackendException.internal(key, "cannot " + action + " " + path + ": " + e, e);
    }
}
