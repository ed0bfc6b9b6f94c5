package dev.tenure.backend.sql.wire;

import dev.tenure.backend.internal.HttpCalls;
import java.util.List;

/**
 * The wire protocol of one SQL-over-HTTP service: the only part of a {@link SqlSnapshotBackend}
 * that differs between libSQL (Hrana) and Cloudflare D1. Implementations bind every value as a
 * parameter, map failures to {@link dev.tenure.backend.BackendException}s (AUTH only for HTTP 401
 * and 403) and are thread-safe.
 */
public interface SqlWire extends AutoCloseable {

    /**
     * Runs {@code statements} in order as one transaction, in one request: all of them take effect
     * or none does.
     *
     * @param op what the statements do, for ambiguity and messages
     * @param key the object key they are about, for messages; may be null
     * @return one result per statement, in order
     */
    List<Rows> atomically(List<SqlStatement> statements, HttpCalls.Op op, String key);

    /**
     * Opens a sequence of reads. Where the protocol can hold a transaction open across requests,
     * every read of the snapshot sees the same state of the database ({@link Snapshot#consistent()}).
     *
     * @param key the object key the reads are about, for messages
     */
    Snapshot snapshot(String key);

    /** How binary values travel and are stored on this service. */
    BlobEncoding blobEncoding();

    /** Releases what the transport holds. Idempotent. */
    @Override
    void close();

    /** How chunk bytes are bound and stored. */
    enum BlobEncoding {
        /** Bound and stored as SQL blobs. */
        NATIVE,
        /** Bound and stored as base64 text, for services whose parameters are strings only. */
        BASE64_TEXT
    }

    /** Reads that belong together; close it to end the transaction it may hold. */
    interface Snapshot extends AutoCloseable {

        /** Runs read-only {@code statements} and returns one result per statement. */
        List<Rows> read(List<SqlStatement> statements);

        /** True when all reads of this snapshot see one state of the database. */
        boolean consistent();

        /** Ends the snapshot; never throws. Idempotent. */
        @Override
        void close();
    }
}
