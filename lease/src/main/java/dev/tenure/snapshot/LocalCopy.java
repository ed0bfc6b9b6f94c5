package dev.tenure.snapshot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.internal.LocalFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The local file a reader or writer keeps in step with the remote snapshot, and its sidecar
 * {@code <file>.tenure-snapshot}, a small JSON record of which content the file was last made to
 * hold. The sidecar alone is never trusted: the file's size and SHA-256 must still match it, so a
 * file changed or replaced behind Tenure's back is downloaded again.
 */
final class LocalCopy {

    static final String SIDECAR_SUFFIX = ".tenure-snapshot";
    private static final String SIDECAR_FORMAT = "tenure.snapshot-cache/1";
    private static final int CHUNK = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a sidecar records. */
    record Cached(String name, String contentKey, long generation, long size, String sha256) {
    }

    /** A private copy of the file taken for an upload, with its size and hash. */
    record Staged(Path path, long size, String sha256) {
    }

    private final String name;
    private final Path file;
    private final Path sidecar;

    private LocalCopy(String name, Path file) {
        this.name = name;
        this.file = file;
        this.sidecar = file.resolveSibling(file.getFileName() + SIDECAR_SUFFIX);
    }

    /**
     * The local copy of snapshot {@code name} at {@code local}.
     *
     * @throws BackendException CONFIG when the path cannot name a regular file
     */
    static LocalCopy of(String name, Path local) {
        Objects.requireNonNull(local, "local");
        Path absolute = local.toAbsolutePath().normalize();
        if (absolute.getFileName() == null || absolute.getParent() == null) {
            throw BackendException.config(null, "local snapshot path " + local + " does not name a file", null);
        }
        if (Files.isDirectory(absolute)) {
            throw BackendException.config(null, "local snapshot path " + local + " is a directory; give the database file's path", null);
        }
        LocalCopy copy = new LocalCopy(name, absolute);
        copy.sweepLeftovers();
        return copy;
    }

    /**
     * Deletes the temporary files a crash in the middle of a download or an upload of this file
     * left beside it. Only one reader or writer uses a local file, so none of them can be in use
     * when another opens it.
     */
    private void sweepLeftovers() {
        Pattern leftover = Pattern.compile("\\." + Pattern.quote(file.getFileName().toString())
                + "\\.[0-9a-f]{1,16}\\.(download|upload)\\.tmp");
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(file.getParent(),
                p -> leftover.matcher(p.getFileName().toString()).matches())) {
            for (Path stale : siblings) {
                Files.deleteIfExists(stale);
            }
        } catch (NoSuchFileException e) {
            // No directory yet: nothing was ever left there.
        } catch (IOException e) {
            // A leftover only costs disk space; failing to sweep must not stop a replica opening.
        }
    }

    Path file() {
        return file;
    }

    /**
     * True when the file holds exactly {@code content}: the sidecar names it and the file's size
     * and SHA-256 match. Reads the whole file when the sidecar matches.
     */
    boolean holds(Manifest.Content content) {
        Optional<Cached> cached = cached();
        if (cached.isEmpty() || !cached.get().contentKey().equals(content.key()) || cached.get().size() != content.size()
                || !cached.get().sha256().equals(content.sha256())) {
            return false;
        }
        try {
            if (!Files.isRegularFile(file) || Files.size(file) != content.size()) {
                return false;
            }
        } catch (IOException e) {
            return false;
        }
        try {
            return hash(file).equals(content.sha256());
        } catch (BackendException e) {
            if (e.is(BackendException.Kind.NOT_FOUND)) {
                return false; // removed while being checked: download it again
            }
            throw e;
        }
    }

    /**
     * Fails when replacing the file with the content {@code manifest} names would lose data the
     * store does not have: when the file exists and is neither that content nor an unchanged copy
     * of the content its sidecar records. A missing file has nothing to lose. Reads the whole file.
     *
     * @return true when the file already holds exactly that content (by size and SHA-256)
     * @throws SnapshotException.LocalChanges naming the file, what it holds and what to do
     */
    boolean refuseUnsavedChanges(Manifest manifest) {
        Manifest.Content stored = manifest.content();
        long size;
        String sha;
        try {
            if (!Files.exists(file)) {
                return false;
            }
            size = Files.size(file);
            sha = hash(file);
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(null, file, "read", e);
        } catch (BackendException e) {
            if (e.is(BackendException.Kind.NOT_FOUND)) {
                return false; // removed while being checked: nothing left to lose
            }
            throw e;
        }
        if (stored != null && size == stored.size() && sha.equals(stored.sha256())) {
            return true;
        }
        Optional<Cached> cached = cached();
        if (cached.isPresent() && size == cached.get().size() && sha.equals(cached.get().sha256())) {
            return false;
        }
        String origin = cached.isPresent()
                ? "was changed since it held generation " + cached.get().generation() + " of snapshot " + name
                : "did not come from snapshot " + name + " (no record " + sidecar.getFileName() + " beside it names it)";
        throw new SnapshotException.LocalChanges("snapshot " + name + ": the local file " + file + " (" + size
                + " bytes, SHA-256 " + sha + ") " + origin + ", and the store holds generation " + manifest.generation()
                + "; opening a writer would replace it, so nothing was overwritten. Flush it (LocalFilePolicy.UPLOAD_LOCAL_FILE,"
                + " or 'tenure snapshot push'), discard it (LocalFilePolicy.DISCARD_LOCAL_CHANGES), or move it away");
    }

    /**
     * Fails unless the file exists and is a regular file: a writer that is to upload it as it is
     * has nothing to upload otherwise.
     *
     * @throws BackendException CONFIG naming the path
     */
    void requireExisting() {
        if (!Files.isRegularFile(file)) {
            throw BackendException.config(null, "snapshot " + name + ": the local file " + file + " does not exist, so there is"
                    + " nothing to upload", null);
        }
    }

    /** A fresh path beside the file, for a download or an upload in progress; the caller deletes it. */
    Path temporary(String purpose) {
        return file.resolveSibling("." + file.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + "." + purpose + ".tmp");
    }

    /**
     * Puts {@code downloaded} in place of the file once its size and SHA-256 are those of
     * {@code content}, then records it in the sidecar. On a mismatch the file is left untouched.
     *
     * @throws SnapshotException.Integrity on a size or hash mismatch
     */
    void install(Path downloaded, Manifest manifest) {
        Manifest.Content content = manifest.content();
        String key = content.key();
        try {
            long size = Files.size(downloaded);
            String sha = hash(downloaded);
            if (size != content.size() || !sha.equals(content.sha256())) {
                throw new SnapshotException.Integrity("snapshot " + name + ": content " + key + " has " + size + " bytes with SHA-256 "
                        + sha + ", but the manifest records " + content.size() + " bytes with SHA-256 " + content.sha256()
                        + "; the local file " + file + " was left as it was");
            }
            // The backend promises an atomic replace of the path it was given, not that the bytes are on disk.
            try (FileChannel channel = FileChannel.open(downloaded, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            LocalFiles.moveAtomically(downloaded, file);
            LocalFiles.fsyncDirectory(file.getParent());
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(key, file, "write", e);
        }
        remember(manifest);
    }

    /**
     * Copies the file aside and hashes the copy in one pass, so the bytes uploaded are exactly the
     * bytes hashed even if the database keeps writing to its file meanwhile.
     */
    Staged stage() {
        Path copy = temporary("upload");
        MessageDigest digest = sha256();
        long size = 0;
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
            while (in.read(chunk.clear()) >= 0) {
                chunk.flip();
                digest.update(chunk.duplicate());
                size += chunk.remaining();
                LocalFiles.writeFully(out, chunk);
            }
            out.force(true);
        } catch (NoSuchFileException e) {
            LocalFiles.deleteQuietly(copy);
            throw BackendException.config(null, "cannot flush snapshot " + name + ": the local file " + file + " does not exist", e);
        } catch (IOException e) {
            LocalFiles.deleteQuietly(copy);
            throw LocalFiles.mapLocalFailure(null, file, "read", e);
        } catch (RuntimeException e) {
            LocalFiles.deleteQuietly(copy);
            throw e;
        }
        return new Staged(copy, size, HexFormat.of().formatHex(digest.digest()));
    }

    /** Records in the sidecar that the file holds the content of {@code manifest}. */
    void remember(Manifest manifest) {
        Manifest.Content c = manifest.content();
        ObjectNode node = JSON.createObjectNode()
                .put("format", SIDECAR_FORMAT)
                .put("name", name)
                .put("contentKey", c.key())
                .put("generation", manifest.generation())
                .put("size", c.size())
                .put("sha256", c.sha256());
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a snapshot cache record", e);
        }
        LocalFiles.replaceAtomically(sidecar, null, out -> LocalFiles.writeFully(out, ByteBuffer.wrap(bytes)));
    }

    /**
     * What the sidecar records, or empty when there is none or it cannot be read: it is only a
     * cache, and a download repairs it.
     */
    Optional<Cached> cached() {
        try {
            JsonNode node = JSON.readTree(Files.readAllBytes(sidecar));
            if (node == null || !SIDECAR_FORMAT.equals(node.path("format").asText()) || !name.equals(node.path("name").asText())) {
                return Optional.empty();
            }
            return Optional.of(new Cached(name, node.path("contentKey").asText(), node.path("generation").asLong(-1),
                    node.path("size").asLong(-1), node.path("sha256").asText()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The SHA-256 of a local file, lowercase hex. */
    static String hash(Path path) {
        MessageDigest digest = sha256();
        try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
            while (in.read(chunk.clear()) >= 0) {
                digest.update(chunk.flip());
            }
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(null, path, "read", e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
