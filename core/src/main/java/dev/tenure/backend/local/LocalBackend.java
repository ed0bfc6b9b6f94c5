package dev.tenure.backend.local;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Keys;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.internal.LocalFiles;
import dev.tenure.backend.internal.SegmentNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * An atomic backend on a local directory.
 *
 * <p>Conditional writes are atomic across threads and across processes on one host: under a
 * per-key lock file the current version is compared, the new object is written to a temporary
 * file, fsynced, renamed over the old one and the directory fsynced. A crash therefore leaves the
 * old object or the new one, never a torn one. Every object carries a header with a per-write
 * version and checksums, so a corrupt or truncated file is reported, never served.
 *
 * <p>Reads take no lock: a rename replaces a whole file, and an open file keeps its content.
 * No key can reach outside the root: keys are validated by {@link Keys}, encoded into file names,
 * and a symbolic link met on the way to an object is refused.
 */
public final class LocalBackend implements AtomicRemoteBackend {

    private static final String INTERNAL_DIR = ".tenure";
    private static final Duration STALE_TEMP_AGE = Duration.ofHours(1);
    private static final int COPY_CHUNK = 1 << 20;
    private static final int MAX_CACHED_PATHS = 4096;

    private final Path root;
    private final Path tmpDir;
    private final KeyLocks locks;
    private final Disk disk;
    /** Valid keys and their files: validating and encoding a key costs more than the rest of a read on tmpfs. */
    private final Map<String, Path> paths = new ConcurrentHashMap<>();

    private LocalBackend(Path root, Disk disk) {
        this.root = root;
        this.disk = disk;
        this.tmpDir = root.resolve(INTERNAL_DIR).resolve("tmp");
        this.locks = new KeyLocks(root.resolve(INTERNAL_DIR).resolve("locks"));
        removeStaleTemporaryFiles();
    }

    /**
     * Opens an existing root directory.
     *
     * @throws BackendException CONFIG when the root does not exist or is not a directory
     */
    public static LocalBackend open(Path root) {
        return open(root, Disk.REAL);
    }

    /** Opens an existing root on {@code disk}: the real one, or a test's that fails on purpose. */
    static LocalBackend open(Path root, Disk disk) {
        Objects.requireNonNull(root, "root");
        if (!Files.exists(root)) {
            throw BackendException.config(null, "local backend root " + root + " does not exist", null);
        }
        if (!Files.isDirectory(root)) {
            throw BackendException.config(null, "local backend root " + root + " is not a directory", null);
        }
        try {
            return new LocalBackend(root.toRealPath(), disk);
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(null, root, "open", e);
        }
    }

    /** Opens a root directory, creating it and its parents when missing. */
    public static LocalBackend create(Path root) {
        Objects.requireNonNull(root, "root");
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(null, root, "create", e);
        }
        return open(root);
    }

    /** The root directory (its real path). */
    public Path root() {
        return root;
    }

    @Override
    public String name() {
        return "file://" + root;
    }

    @Override
    public Optional<ObjectVersion> objectVersion(String key) {
        Path file = objectPath(key);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(readHeader(key, file, in).version());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(key, file, "read", e);
        }
    }

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        Path file = objectPathOpenedWithoutFollowing(key);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = in.size();
            if (size - ObjectFile.HEADER_BYTES > Integer.MAX_VALUE - 16) {
                ObjectFile header = readHeader(key, file, in);
                throw BackendException.config(key, "object " + key + " holds " + header.contentLength()
                        + " bytes, too many for read(); use download()", null);
            }
            // Header and content in one read: the file is never changed in place (writes rename a
            // new file over it), so the size taken above holds for this descriptor.
            ByteBuffer headerBytes = ByteBuffer.allocate(ObjectFile.HEADER_BYTES);
            ByteBuffer content = ByteBuffer.allocate((int) Math.max(0, size - ObjectFile.HEADER_BYTES));
            ByteBuffer[] both = {headerBytes, content};
            while (content.hasRemaining() || headerBytes.hasRemaining()) {
                if (in.read(both) < 0) {
                    break;
                }
            }
            ObjectFile header = ObjectFile.decodeHeader(key, file, headerBytes.flip(), size);
            if (content.hasRemaining()) {
                throw ObjectFile.corrupt(key, file, "truncated while reading");
            }
            CRC32C crc = new CRC32C();
            crc.update(content.array());
            checkCrc(key, file, header, crc);
            return Optional.of(new Versioned<>(content.array(), header.version()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            // A link as the file itself fails the NOFOLLOW open (ELOOP, a plain IOException).
            throw LocalFiles.mapLocalFailure(key, file, "read", refuseIfLink(key, file, e));
        }
    }

    @Override
    public boolean download(String key, Path localPath) {
        Path file = objectPath(key);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ObjectFile header = readHeader(key, file, in);
            // The checksum is verified before the rename, so a corrupt object never replaces a good local file.
            LocalFiles.replaceAtomically(localPath, key, out -> {
                CRC32C crc = new CRC32C();
                ByteBuffer chunk = ByteBuffer.allocate(COPY_CHUNK);
                long position = ObjectFile.HEADER_BYTES;
                long end = position + header.contentLength();
                while (position < end) {
                    chunk.clear().limit((int) Math.min(COPY_CHUNK, end - position));
                    readFully(in, chunk, position, key, file);
                    chunk.flip();
                    crc.update(chunk.duplicate());
                    position += chunk.remaining();
                    LocalFiles.writeFully(out, chunk);
                }
                checkCrc(key, file, header, crc);
            });
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(key, file, "read", e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Only a missing file (or a missing directory on its way) means absent: a permission or
     * I/O error is thrown, never read as "absent", since callers decide whether a write landed by it.
     */
    @Override
    public boolean exists(String key) {
        Path file = objectPath(key);
        try {
            return disk.attributes(file).isRegularFile();
        } catch (NoSuchFileException | NotDirectoryException e) {
            return false;
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(key, file, "read", e);
        }
    }

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(condition, "condition");
        return write(key, condition, new Content.InMemory(bytes));
    }

    @Override
    public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
        Objects.requireNonNull(condition, "condition");
        return write(key, condition, new Content.Streamed(copyFrom(localPath, key)));
    }

    @Override
    public void upload(Path localPath, String key) {
        write(key, null, new Content.Streamed(copyFrom(localPath, key)));
    }

    @Override
    public void deleteConditional(String key, ConditionalDelete condition) {
        Objects.requireNonNull(condition, "condition");
        delete(key, ((ConditionalDelete.IfVersion) condition).version());
    }

    @Override
    public void delete(String key) {
        delete(key, null);
    }

    @Override
    public List<String> list(String prefix) {
        Keys.requireValidPrefix(prefix);
        Path start = KeyPaths.directoryForPrefix(root, prefix);
        String startKey = prefix.contains("/") ? prefix.substring(0, prefix.lastIndexOf('/') + 1) : "";
        List<String> keys = new ArrayList<>();
        try {
            if (Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) {
                collect(start, startKey, prefix, keys);
            }
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(prefix, start, "list", e);
        }
        keys.sort(null);
        return keys;
    }

    @Override
    public String toString() {
        return "LocalBackend[" + root + "]";
    }

    // ---- writing -------------------------------------------------------------------------------

    /** Streams content into the temporary file and returns how many bytes it wrote. */
    @FunctionalInterface
    private interface Copy {
        long writeTo(FileChannel out) throws IOException;
    }

    /** What a write stores: bytes in hand, or a copy streamed from a local file. */
    private sealed interface Content {
        /** Bytes in memory: checksummed as they are and written with their header in one call. */
        record InMemory(byte[] bytes) implements Content {
        }

        /** A local file copied without passing through the heap, checksummed by reading back what landed. */
        record Streamed(Copy copy) implements Content {
        }
    }

    /**
     * Writes under the key's lock. Once the rename has put the new object in place the write is
     * applied, so a failure after it (syncing the directory, releasing the lock) leaves the
     * outcome unknown to the caller, and is reported as ambiguous, never as a plain failure.
     */
    private ObjectVersion write(String key, ConditionalPut condition, Content content) {
        Path file = objectPathOpenedWithoutFollowing(key);
        Path tmp = null;
        boolean applied = false;
        try (KeyLocks.Held held = disk.guard(locks.lock(key))) {
            held.checkOwner();
            Optional<ObjectFile> current = currentHeader(key, file, condition != null);
            check(key, current, condition);
            long generation = current.isPresent() ? current.get().generation() + 1 : 1L;
            tmp = tmpDir.resolve(Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            ObjectFile written;
            try (FileChannel out = createTemporary(tmp)) {
                if (content instanceof Content.InMemory inMemory) {
                    // The checksum is of the very array written; header and content leave in one call.
                    byte[] bytes = inMemory.bytes();
                    CRC32C crc = new CRC32C();
                    crc.update(bytes);
                    written = new ObjectFile(generation, ThreadLocalRandom.current().nextLong(), bytes.length, (int) crc.getValue());
                    ByteBuffer[] buffers = {written.encodeHeader(), ByteBuffer.wrap(bytes)};
                    while (buffers[0].hasRemaining() || buffers[1].hasRemaining()) {
                        out.write(buffers);
                    }
                } else {
                    out.position(ObjectFile.HEADER_BYTES);
                    long length = ((Content.Streamed) content).copy().writeTo(out);
                    written = new ObjectFile(generation, ThreadLocalRandom.current().nextLong(), length,
                            crcOf(out, ObjectFile.HEADER_BYTES, length, key, tmp));
                    LocalFiles.writeFully(out, written.encodeHeader(), 0);
                }
                out.force(true);
            }
            moveIntoPlace(tmp, file);
            tmp = null;
            applied = true;
            disk.syncDirectory(file.getParent());
            return written.version();
        } catch (IOException e) {
            throw applied ? appliedButUnconfirmed(key, file, "write", e) : LocalFiles.mapLocalFailure(key, file, "write", e);
        } finally {
            if (tmp != null) {
                LocalFiles.deleteQuietly(tmp);
            }
        }
    }

    /** Deletes under the key's lock; as for {@link #write}, a failure after the unlink is ambiguous. */
    private void delete(String key, ObjectVersion expected) {
        Path file = objectPath(key);
        boolean applied = false;
        try (KeyLocks.Held held = disk.guard(locks.lock(key))) {
            held.checkOwner();
            if (expected != null) {
                check(key, currentHeader(key, file, true), ConditionalPut.ifVersion(expected));
            }
            if (Files.deleteIfExists(file)) {
                applied = true;
                disk.syncDirectory(file.getParent());
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            if (applied) {
                throw appliedButUnconfirmed(key, file, "delete", e);
            }
            if (expected != null) {
                throw BackendException.preconditionFailed(key, "object " + key + " does not exist (expected version " + expected + ")");
            }
        } catch (IOException e) {
            throw applied ? appliedButUnconfirmed(key, file, "delete", e) : LocalFiles.mapLocalFailure(key, file, "delete", e);
        }
    }

    /**
     * A failure after the change was made: the caller cannot know whether it holds (a failed
     * directory sync may lose it in a crash), so it is ambiguous, to be read back.
     */
    private static BackendException appliedButUnconfirmed(String key, Path file, String action, IOException e) {
        return BackendException.transport(key, true, action + " of '" + key + "' at " + file + ": the change was made, but"
                + " syncing its directory or releasing its lock then failed (" + e + "), so whether it survives a crash is"
                + " unknown (the write may have been applied): read it back", e);
    }

    /**
     * The stored header, or empty when there is no object. A corrupt object fails a conditional
     * operation (its version is unknown) but may be overwritten unconditionally.
     */
    private Optional<ObjectFile> currentHeader(String key, Path file, boolean conditional) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(readHeader(key, file, in));
        } catch (NoSuchFileException | NotDirectoryException e) {
            return Optional.empty();
        } catch (IOException e) {
            // A link as the file itself fails the NOFOLLOW open (ELOOP, a plain IOException).
            throw refuseIfLink(key, file, e);
        } catch (BackendException corrupt) {
            if (conditional) {
                throw corrupt;
            }
            return Optional.empty();
        }
    }

    private static void check(String key, Optional<ObjectFile> current, ConditionalPut condition) {
        if (condition instanceof ConditionalPut.IfAbsent && current.isPresent()) {
            throw BackendException.preconditionFailed(key, "object " + key + " already exists (version "
                    + current.get().version() + ")");
        }
        if (condition instanceof ConditionalPut.IfVersion ifVersion) {
            if (current.isEmpty()) {
                throw BackendException.preconditionFailed(key, "object " + key + " does not exist (expected version "
                        + ifVersion.version() + ")");
            }
            if (!current.get().version().equals(ifVersion.version())) {
                throw BackendException.preconditionFailed(key, "object " + key + " has version "
                        + current.get().version() + ", expected " + ifVersion.version());
            }
        }
    }

    private Copy copyFrom(Path localPath, String key) {
        return out -> {
            try (FileChannel in = FileChannel.open(localPath, StandardOpenOption.READ)) {
                long size = in.size();
                long copied = 0;
                while (copied < size) {
                    long n = in.transferTo(copied, size - copied, out);
                    if (n <= 0) {
                        break;
                    }
                    copied += n;
                }
                return copied;
            } catch (NoSuchFileException e) {
                throw BackendException.config(key, "cannot upload " + localPath + ": no such file", e);
            }
        };
    }

    /**
     * Opens a new temporary file. The temporary directory is made when the root is first written
     * and again only when it has gone missing, not checked on every write.
     */
    private FileChannel createTemporary(Path tmp) throws IOException {
        try {
            return FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException missingDirectory) {
            Files.createDirectories(tmpDir);
            return FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
    }

    /**
     * Renames the temporary file over the key's file. The key's directories are made (and their
     * parents synced) only when the rename fails, not checked before every write: a rename into
     * a missing directory fails without changing anything, and the retry then meets the same
     * checks as before (a non-directory on the way is a CONFIG error).
     */
    private void moveIntoPlace(Path tmp, Path file) throws IOException {
        try {
            LocalFiles.moveAtomically(tmp, file);
        } catch (FileSystemException firstTry) {
            // A missing directory (ENOENT) or a file where a directory should be (ENOTDIR): both are
            // sorted out, or reported as before, by making the parents; anything else stands.
            if (firstTry instanceof AccessDeniedException) {
                throw firstTry;
            }
            createParents(file);
            LocalFiles.moveAtomically(tmp, file);
        }
    }

    private void createParents(Path file) throws IOException {
        Path parent = file.getParent();
        if (Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> missing = new ArrayList<>();
        for (Path dir = parent; !dir.equals(root) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS); dir = dir.getParent()) {
            missing.add(0, dir);
        }
        for (Path dir : missing) {
            try {
                Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    throw BackendException.config(null, dir + " exists inside the root but is not a directory", raced);
                }
            }
            disk.syncDirectory(dir.getParent());
        }
    }

    // ---- reading -------------------------------------------------------------------------------

    private static ObjectFile readHeader(String key, Path file, FileChannel in) throws IOException {
        long size = in.size();
        ByteBuffer header = ByteBuffer.allocate(ObjectFile.HEADER_BYTES);
        while (header.hasRemaining() && in.read(header, header.position()) > 0) {
            // loop over short reads
        }
        header.flip();
        return ObjectFile.decodeHeader(key, file, header, size);
    }

    private static void readFully(FileChannel in, ByteBuffer into, long position, String key, Path file) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = in.read(into, at);
            if (n < 0) {
                throw ObjectFile.corrupt(key, file, "truncated while reading");
            }
            at += n;
        }
    }

    private static void checkCrc(String key, Path file, ObjectFile header, CRC32C crc) {
        if ((int) crc.getValue() != header.contentCrc()) {
            throw ObjectFile.corrupt(key, file, "content checksum mismatch");
        }
    }

    private void collect(Path dir, String keyPrefix, String wanted, List<String> keys) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (dir.equals(root) && name.equals(INTERNAL_DIR)) {
                    continue;
                }
                BasicFileAttributes attrs = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (attrs.isDirectory()) {
                    String segment = SegmentNames.fromDirectory(name);
                    if (segment != null) {
                        String childPrefix = keyPrefix + segment + "/";
                        if (childPrefix.startsWith(wanted) || wanted.startsWith(childPrefix)) {
                            collect(entry, childPrefix, wanted, keys);
                        }
                    }
                } else if (attrs.isRegularFile()) {
                    String segment = SegmentNames.fromObject(name);
                    if (segment != null && (keyPrefix + segment).startsWith(wanted)) {
                        keys.add(keyPrefix + segment);
                    }
                }
            }
        }
    }

    // ---- paths ---------------------------------------------------------------------------------

    /**
     * As {@link #objectPath}, for callers that open the file itself with {@code NOFOLLOW_LINKS}
     * before doing anything with it: a link there makes that open fail (ELOOP), and the failure
     * goes through {@link #refuseIfLink}. Only the directories on the way are checked here, which
     * saves a system call per operation.
     */
    private Path objectPathOpenedWithoutFollowing(String key) {
        Path file = validPath(key);
        refuseLinksAbove(key, file.getParent());
        return file;
    }

    /** A failure opening a key's file: the CONFIG error of {@link #objectPath} if the file is a link, else the failure. */
    private IOException refuseIfLink(String key, Path file, IOException e) {
        if (Files.isSymbolicLink(file)) {
            throw symbolicLink(key, file);
        }
        return e;
    }

    private BackendException symbolicLink(String key, Path link) {
        return BackendException.config(key, "key " + key + " passes through the symbolic link " + link
                + " inside the root; refusing to follow it out of " + root, null);
    }

    /** Checked on every call, never cached: a directory may be replaced by a link at any time. */
    private void refuseLinksAbove(String key, Path from) {
        for (Path p = from; !p.equals(root); p = p.getParent()) {
            if (Files.isSymbolicLink(p)) {
                throw symbolicLink(key, p);
            }
        }
    }

    /** The data file of a key, refusing any path that passes through a symbolic link. */
    private Path objectPath(String key) {
        Path file = validPath(key);
        refuseLinksAbove(key, file);
        return file;
    }

    /** The file of a valid key (validated and encoded once, then cached); no file-system check. */
    private Path validPath(String key) {
        Path file = paths.get(key);
        if (file == null) {
            Keys.requireValid(key);
            file = KeyPaths.relativePath(root, key);
            if (paths.size() >= MAX_CACHED_PATHS) {
                // Bounded without bookkeeping: a store with more keys than this in use pays for validating again.
                paths.clear();
            }
            paths.put(key, file);
        }
        return file;
    }

    private void removeStaleTemporaryFiles() {
        if (!Files.isDirectory(tmpDir)) {
            return;
        }
        Instant cutoff = Instant.now().minus(STALE_TEMP_AGE);
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(tmpDir, "*.tmp")) {
            for (Path temp : temps) {
                FileTime modified = Files.getLastModifiedTime(temp, LinkOption.NOFOLLOW_LINKS);
                if (modified.toInstant().isBefore(cutoff)) {
                    LocalFiles.deleteQuietly(temp);
                }
            }
        } catch (IOException ignored) {
            // Leftovers of crashed writers are harmless; they are retried at the next open.
        }
    }

    /**
     * The CRC32C of {@code length} bytes from {@code position}, read back from the file. Reading
     * back keeps the copy path zero-copy ({@code transferTo}) and checks the bytes as they landed.
     */
    private static int crcOf(FileChannel file, long position, long length, String key, Path path) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(COPY_CHUNK, Math.max(length, 1)));
        long at = position;
        long end = position + length;
        while (at < end) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), end - at));
            readFully(file, chunk, at, key, path);
            chunk.flip();
            at += chunk.remaining();
            crc.update(chunk);
        }
        return (int) crc.getValue();
    }
}
