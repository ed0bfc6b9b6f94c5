package dev.tenure.backend.s3;

import dev.tenure.backend.BackendException;
import java.util.Locale;

/**
 * What differs between S3-compatible stores in ways that matter for compare-and-swap. Each value
 * is measured against a real server here or taken from the store's public documentation; see
 * {@code docs/backends.md} for the table and its sources.
 *
 * <p>Whether a store enforces {@code If-Match} on DELETE is deliberately not a profile property:
 * it differs between versions of one vendor's server (Ceph RGW 16 ignores it, 19 honours it), so
 * {@link S3Backend#open} decides it with a probe against the store itself.
 */
public enum S3Profile {

    /**
     * Amazon S3: conditional PUT (412, or 409 ConditionalRequestConflict on a concurrent delete);
     * If-Match on a missing key answers 404.
     */
    AWS(Preconditions.ETAG_QUOTED, false, false),
    /** Cloudflare R2: conditional PUT; quoted ETags required. */
    R2(Preconditions.ETAG_QUOTED, true, false),
    /**
     * Google Cloud Storage through its XML API with HMAC keys. It ignores S3's If-None-Match and
     * If-Match on writes, so compare-and-swap uses its own precondition on the object generation,
     * {@code x-goog-if-generation-match} (0 for "absent"), and versions are generations.
     */
    GCS(Preconditions.GENERATION, true, true),
    /** DigitalOcean Spaces (runs on Ceph RGW): ETags unquoted in If-Match. */
    SPACES(Preconditions.ETAG_UNQUOTED, true, false),
    /** MinIO: conditional PUT honoured (needs a release from 2025-08 or later, where If-Match on a missing key fails). */
    MINIO(Preconditions.ETAG_QUOTED, true, true),
    /**
     * Ceph RADOS Gateway: a quoted ETag in If-Match always fails on 16.x, so it is sent unquoted;
     * the SDK's default payload checksums and an empty aws-chunked body are refused, so payloads go plainly.
     */
    CEPH(Preconditions.ETAG_UNQUOTED, true, true),
    /** Any other S3-compatible store: the most conservative choices; run {@code tenure verify} first. */
    GENERIC(Preconditions.ETAG_QUOTED, true, true);

    /** How a store is told the condition of a write, and what identifies a version. */
    enum Preconditions {
        /** {@code If-None-Match: *} and {@code If-Match: "etag"}; versions are ETags. */
        ETAG_QUOTED,
        /** As {@link #ETAG_QUOTED}, with the ETag sent without its quotes. */
        ETAG_UNQUOTED,
        /** {@code x-goog-if-generation-match: 0 | generation}; versions are {@code x-goog-generation}. */
        GENERATION
    }

    private final Preconditions preconditions;
    private final boolean plainPayloads;
    private final boolean pathStyleByDefault;

    S3Profile(Preconditions preconditions, boolean plainPayloads, boolean pathStyleByDefault) {
        this.preconditions = preconditions;
        this.plainPayloads = plainPayloads;
        this.pathStyleByDefault = pathStyleByDefault;
    }

    Preconditions preconditions() {
        return preconditions;
    }

    /** True when versions are object generations ({@code x-goog-generation}) rather than ETags. */
    public boolean generations() {
        return preconditions == Preconditions.GENERATION;
    }

    /** True when the store wants the ETag in {@code If-Match} exactly as returned (quoted). */
    public boolean quotedIfMatch() {
        return preconditions == Preconditions.ETAG_QUOTED;
    }

    /**
     * True when payloads go plainly: checksums only where an operation requires them, and no
     * {@code aws-chunked} streaming signature (RGW 16 refuses the SDK's default checksums, and an
     * empty body sent as aws-chunked; GCS knows neither).
     */
    public boolean plainPayloads() {
        return plainPayloads;
    }

    /** True when the store is usually addressed path-style ({@code endpoint/bucket/key}). */
    public boolean pathStyleByDefault() {
        return pathStyleByDefault;
    }

    /** The {@code If-Match} value for a version token as the store returned it. */
    String ifMatchValue(String etag) {
        String bare = etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
                ? etag.substring(1, etag.length() - 1)
                : etag;
        return quotedIfMatch() ? "\"" + bare + "\"" : bare;
    }

    /**
     * The profile with this (case-insensitive) name.
     *
     * @throws BackendException CONFIG listing the known profiles
     */
    public static S3Profile parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw BackendException.config(null, "unknown S3 profile '" + name
                    + "': use one of aws, r2, gcs, spaces, minio, ceph, generic", e);
        }
    }
}
