package dev.tenure.backend.sql;

import dev.tenure.backend.sql.wire.Rows;
import dev.tenure.backend.sql.wire.SqlWire;
import dev.tenure.backend.sql.wire.SqlValue;
import dev.tenure.backend.sql.wire.SqlStatement;
import static dev.tenure.backend.sql.wire.SqlValue.integer;
import static dev.tenure.backend.sql.wire.SqlValue.text;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Keys;
import dev.tenure.backend.RemoteBackend;
import dev.tenure.backend.d1.D1Backend;
import dev.tenure.backend.turso.TursoBackend;
import dev.tenure.backend.internal.HttpCalls.Op;
import dev.tenure.backend.internal.LocalFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot transport on a SQLite database reached over HTTP (libSQL, Cloudflare D1): objects are
 * stored in chunks, so an object may be far larger than one row or one request allows. Everything
 * but the wire protocol ({@link SqlWire}) lives here, once for every such service.
 *
 * <p><b>Layout.</b> Two tables, created when missing: {@code <table>_objects} (key, generation,
 * size, SHA-256, chunk count) and {@code <table>_chunks} (key, generation, index, bytes, server
 * time written). Each upload writes its chunks under a fresh random generation, in as many requests
 * as the file needs, then switches the object row to that generation in one transaction (only if
 * every chunk is there), then deletes the replaced generation's chunks. Chunks of an upload that
 * never committed are deleted by a later upload of the key once they are older than the
 * {@linkplain SqlOptions#orphanGrace() orphan grace}, and by a delete of the key at once.
 *
 * <p><b>Readers</b> never see a mix of two uploads: chunks are read by generation, the object row
 * and the first chunks come from one transaction, and where the protocol keeps a transaction open
 * across requests ({@link SqlWire.Snapshot#consistent()}) the whole object is read from one
 * snapshot. Where it cannot, a reader whose generation is replaced mid-read finds its chunks gone,
 * starts again (up to three times) and otherwise fails with TRANSPORT. The SHA-256 recorded at
 * upload is checked before the downloaded file replaces the local one.
 *
 * <p>This is not an {@link dev.tenure.backend.AtomicRemoteBackend}: uploads are unconditional and
 * two concurrent uploads of one key end with one of them, whichever committed last.
 */
public abstract sealed class SqlSnapshotBackend implements RemoteBackend permits TursoBackend, D1Backend {

    private static final Logger LOG = LoggerFactory.getLogger(SqlSnapshotBackend.class);
    /** Keys per listing request. */
    static final int LIST_PAGE = 1000;
    /** How often a download starts again when its object is replaced while being read. */
    static final int READ_ATTEMPTS = 3;

    private final String name;
    private final SqlWire sql;
    private final SqlOptions options;
    private final ObjectTables tables;
    private final SecureRandom random = new SecureRandom();
    private final AtomicBoolean schemaReady = new AtomicBoolean();

    /**
     * A backend on {@code transport}.
     *
     * @param name what {@link #name()} returns: names the service, never a secret
     */
    @SuppressWarnings("exports") // sealed: only the two SQL stores, in this module, call it
    protected SqlSnapshotBackend(String name, SqlWire transport, SqlOptions options) {
        this.name = Objects.requireNonNull(name, "name");
        this.sql = Objects.requireNonNull(transport, "transport");
        this.options = Objects.requireNonNull(options, "options");
        this.tables = new ObjectTables(options.table());
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }

    /** The request timeout ({@code requestTimeoutMs}): see {@link RemoteBackend#operationDeadline()}. */
    @Override
    public final Optional<Duration> operationDeadline() {
        return Optional.of(options.requestTimeout());
    }

    // ---- reads ---------------------------------------------------------------------------------

    @Override
    public final boolean exists(String key) {
        Keys.requireValid(key);
        prepare(key, false);
        return !sql.atomically(List.of(SqlStatement.of(tables.exists, text(key))), Op.READ, key).get(0).isEmpty();
    }

    @Override
    public final boolean download(String key, Path localPath) {
        Keys.requireValid(key);
        Objects.requireNonNull(localPath, "localPath");
        prepare(key, false);
        for (int attempt = 1;; attempt++) {
            try {
                return downloadOnce(key, localPath);
            } catch (ObjectChanged e) {
                if (attempt >= READ_ATTEMPTS) {
                    throw BackendException.transport(key, false, name + ": '" + key + "' was replaced or deleted while it was"
                            + " being read, " + READ_ATTEMPTS + " times in a row; the local file is unchanged, retry later", null);
                }
                LOG.debug("{}: '{}' changed while being read; reading it again", name, key);
            }
        }
    }

    private boolean downloadOnce(String key, Path localPath) {
        try (SqlWire.Snapshot snapshot = sql.snapshot(key)) {
            List<Rows> first = snapshot.read(List.of(
                    SqlStatement.of(tables.selectHead, text(key)),
                    SqlStatement.of(tables.selectFirstChunks, text(key), text(key), integer(options.chunksPerRequest()))));
            Rows head = first.get(0);
            if (head.isEmpty()) {
                return false;
            }
            Head h = new Head(head.text(0, "generation"), head.integer(0, "size"), head.text(0, "sha256"),
                    head.integer(0, "chunk_count"));
            // The digest is checked inside the writer, so a damaged or mixed object throws before the
            // temporary file is renamed and the local file is never touched.
            LocalFiles.replaceAtomically(localPath, key, out -> copyChunks(key, h, first.get(1), snapshot, out));
            return true;
        }
    }

    private record Head(String generation, long size, String sha256, long chunkCount) {
    }

    private void copyChunks(String key, Head h, Rows firstPage, SqlWire.Snapshot snapshot, FileChannel out)
            throws IOException {
        MessageDigest sha = sha256();
        long written = 0;
        long next = 0;
        Rows rows = firstPage;
        while (true) {
            for (int i = 0; i < rows.size(); i++) {
                if (rows.integer(i, "idx") != next) {
                    throw changedOrCorrupt(key, h, snapshot, "chunk " + next + " is missing");
                }
                byte[] bytes = chunkBytes(key, rows, i);
                written += bytes.length;
                if (next >= h.chunkCount() || written > h.size()) {
                    throw corrupt(key, "it holds more chunks or bytes than its record says (" + h.chunkCount() + " chunks, "
                            + h.size() + " bytes)");
                }
                sha.update(bytes);
                LocalFiles.writeFully(out, ByteBuffer.wrap(bytes));
                next++;
            }
            if (next >= h.chunkCount()) {
                break;
            }
            if (rows.isEmpty()) {
                throw changedOrCorrupt(key, h, snapshot, "chunk " + next + " is missing");
            }
            rows = snapshot.read(List.of(SqlStatement.of(tables.selectChunksFrom, text(key), text(h.generation()), integer(next),
                    integer(options.chunksPerRequest())))).get(0);
            if (rows.isEmpty()) {
                throw changedOrCorrupt(key, h, snapshot, "chunk " + next + " is missing");
            }
        }
        if (written != h.size() || !HexFormat.of().formatHex(sha.digest()).equalsIgnoreCase(h.sha256())) {
            throw corrupt(key, "its content does not match the size and SHA-256 recorded when it was written");
        }
    }

    /**
     * Missing chunks mean the object was replaced or deleted mid-read, unless the reads share one
     * snapshot or the object still has the generation being read: then the store lost them.
     */
    private RuntimeException changedOrCorrupt(String key, Head h, SqlWire.Snapshot snapshot, String what) {
        if (!snapshot.consistent()) {
            Rows now = snapshot.read(List.of(SqlStatement.of(tables.selectGeneration, text(key)))).get(0);
            if (now.isEmpty() || !now.text(0, "generation").equals(h.generation())) {
                return new ObjectChanged();
            }
        }
        return corrupt(key, what);
    }

    private BackendException corrupt(String key, String problem) {
        return BackendException.internal(key, name + ": object '" + key + "' is corrupt: " + problem
                + "; the local file was not replaced", null);
    }

    private byte[] chunkBytes(String key, Rows rows, int i) {
        if (sql.blobEncoding() == SqlWire.BlobEncoding.NATIVE) {
            return rows.blob(i, "data");
        }
        try {
            return Base64.getDecoder().decode(rows.text(i, "data"));
        } catch (IllegalArgumentException e) {
            throw corrupt(key, "a chunk is not valid base64");
        }
    }

    private SqlValue chunkValue(byte[] bytes) {
        return sql.blobEncoding() == SqlWire.BlobEncoding.NATIVE
                ? SqlValue.blob(bytes) : text(Base64.getEncoder().encodeToString(bytes));
    }

    @Override
    public final List<String> list(String prefix) {
        Keys.requireValidPrefix(prefix);
        prepare(prefix, false);
        Optional<String> upper = upperBound(prefix);
        List<String> keys = new ArrayList<>();
        String after = "";
        while (true) {
            SqlStatement page = upper.isPresent()
                    ? SqlStatement.of(tables.listRange, text(prefix), text(after), text(upper.get()), integer(LIST_PAGE))
                    : SqlStatement.of(tables.listFrom, text(prefix), text(after), integer(LIST_PAGE));
            Rows rows = sql.atomically(List.of(page), Op.LIST, prefix).get(0);
            for (int i = 0; i < rows.size(); i++) {
                after = rows.text(i, "object_key");
                if (after.startsWith(prefix) && Keys.isValid(after)) {
                    keys.add(after);
                }
            }
            if (rows.size() < LIST_PAGE) {
                break;
            }
        }
        // SQLite orders text by its UTF-8 bytes (code points); the contract wants String order
        // (UTF-16 code units), which differs once a key mixes U+E000..U+FFFF with supplementary characters.
        keys.sort(null);
        return keys;
    }

    /**
     * The least string above every string that starts with {@code prefix}, in code-point order, or
     * empty when there is none (an empty prefix, or one of only U+10FFFF).
     */
    static Optional<String> upperBound(String prefix) {
        int[] points = prefix.codePoints().toArray();
        for (int i = points.length - 1; i >= 0; i--) {
            if (points[i] < Character.MAX_CODE_POINT) {
                // Surrogate code points cannot appear in UTF-8 text, so the successor of U+D7FF is U+E000.
                points[i] = points[i] == 0xD7FF ? 0xE000 : points[i] + 1;
                return Optional.of(new String(points, 0, i + 1));
            }
        }
        return Optional.empty();
    }

    // ---- writes --------------------------------------------------------------------------------

    @Override
    public final void upload(Path localPath, String key) {
        Keys.requireValid(key);
        Objects.requireNonNull(localPath, "localPath");
        try (FileChannel in = FileChannel.open(localPath, StandardOpenOption.READ)) {
            prepare(key, true);
            String generation = HexFormat.of().formatHex(randomBytes());
            Written written;
            try {
                written = writeChunks(in, key, generation);
            } catch (BackendException e) {
                abandon(key, generation);
                throw uncommitted(key, e);
            } catch (IOException e) {
                abandon(key, generation);
                throw e;
            }
            commit(key, generation, written);
        } catch (NoSuchFileException e) {
            throw BackendException.config(key, "cannot upload " + localPath + " to '" + key + "': no such file", e);
        } catch (IOException e) {
            throw BackendException.config(key, "cannot read " + localPath + " to upload to '" + key + "': " + e, e);
        }
    }

    private record Written(long size, long chunks, String sha256) {
    }

    private Written writeChunks(FileChannel in, String key, String generation) throws IOException {
        MessageDigest sha = sha256();
        List<SqlStatement> batch = new ArrayList<>();
        long size = 0;
        long count = 0;
        byte[] chunk;
        do {
            chunk = readChunk(in);
            if (chunk.length > 0) {
                sha.update(chunk);
                size += chunk.length;
                batch.add(SqlStatement.of(tables.insertChunk, text(key), text(generation), integer(count++), chunkValue(chunk)));
            }
            if (batch.size() == options.chunksPerRequest() || (chunk.length < options.chunkBytes() && !batch.isEmpty())) {
                sql.atomically(batch, Op.WRITE, key);
                batch = new ArrayList<>();
            }
        } while (chunk.length == options.chunkBytes());
        return new Written(size, count, HexFormat.of().formatHex(sha.digest()));
    }

    /** Up to one chunk of the file: shorter only at its end. */
    private byte[] readChunk(FileChannel in) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(options.chunkBytes());
        while (buffer.hasRemaining() && in.read(buffer) >= 0) {
            // loop over short reads
        }
        return buffer.position() == buffer.capacity() ? buffer.array() : Arrays.copyOf(buffer.array(), buffer.position());
    }

    private void commit(String key, String generation, Written w) {
        List<Rows> answers;
        try {
            answers = sql.atomically(List.of(
                    SqlStatement.of(tables.selectGeneration, text(key)),
                    SqlStatement.of(tables.switchIfComplete, text(key), text(generation), integer(w.size()), text(w.sha256()),
                            integer(w.chunks()), text(key), text(generation), integer(w.chunks())),
                    SqlStatement.of(tables.selectGeneration, text(key))), Op.WRITE, key);
        } catch (BackendException e) {
            if (!e.ambiguous()) {
                abandon(key, generation);
            }
            throw e;
        }
        Rows after = answers.get(2);
        if (after.isEmpty() || !after.text(0, "generation").equals(generation)) {
            abandon(key, generation);
            throw BackendException.transport(key, false, name + ": the chunks of this upload of '" + key
                    + "' were deleted before it could commit (a concurrent delete of the key?); nothing changed, retry", null);
        }
        Rows before = answers.get(0);
        String replaced = before.isEmpty() ? "" : before.text(0, "generation");
        try {
            sql.atomically(List.of(SqlStatement.of(tables.deleteReplacedChunks, text(key), text(key), text(replaced),
                    integer(options.orphanGrace().toSeconds()))), Op.DELETE, key);
        } catch (BackendException e) {
            // The upload has committed; what is left is garbage that the next upload of the key removes.
            LOG.warn("{}: uploaded '{}' but could not delete the chunks it replaced (the next upload retries): {}",
                    name, key, e.getMessage());
        }
    }

    /** Deletes the chunks of an upload that will not commit; best effort, as a later upload cleans up too. */
    private void abandon(String key, String generation) {
        try {
            sql.atomically(List.of(SqlStatement.of(tables.deleteAbandonedChunks, text(key), text(generation), text(key))),
                    Op.DELETE, key);
        } catch (BackendException e) {
            LOG.debug("{}: could not delete the chunks of a failed upload of '{}': {}", name, key, e.getMessage());
        }
    }

    /** A failure before the commit left the stored object as it was, whatever the failed request did. */
    private static BackendException uncommitted(String key, BackendException e) {
        if (e.ambiguous()) {
            return BackendException.transport(key, false, e.getMessage() + "; the upload had not committed,"
                    + " so the stored object is unchanged", e);
        }
        return e;
    }

    @Override
    public final void delete(String key) {
        Keys.requireValid(key);
        prepare(key, true);
        // All generations go, including those of uploads still running: their commit then finds its
        // chunks gone and refuses to point the key at them.
        sql.atomically(List.of(SqlStatement.of(tables.deleteObject, text(key)), SqlStatement.of(tables.deleteAllChunks, text(key))),
                Op.DELETE, key);
    }

    @Override
    public void close() {
        sql.close();
    }

    // ---- helpers -------------------------------------------------------------------------------

    /**
     * Creates the tables once per backend. A reader whose credentials may not create tables goes on
     * (its reads say whether the tables exist); a writer needs them.
     */
    private void prepare(String key, boolean forWrite) {
        if (schemaReady.get()) {
            return;
        }
        try {
            sql.atomically(tables.createSchema, Op.WRITE, key);
            schemaReady.set(true);
        } catch (BackendException e) {
            if (forWrite || e.kind() != BackendException.Kind.CONFIG) {
                throw e;
            }
            LOG.debug("{}: could not create the tables, reading anyway: {}", name, e.getMessage());
        }
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return bytes;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /** Thrown inside a download when its generation disappeared: the object was replaced or deleted. */
    private static final class ObjectChanged extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ObjectChanged() {
            super(null, null, false, false);
        }
    }
}
