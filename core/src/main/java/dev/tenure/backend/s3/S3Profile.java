package dev.tenure.backend.s3;

import dev.tenure.backend.BackendException;
import java.util.Locale;

/**
 * What differs between S3-compatible stores in ways that matter for compare-and-swap. Each value
 * is measured against a real server here or taken from the store's public documentation; see
 * {@code docs/backends.md} for the table and its sources.
 */
public enum S3Profile {

    /**
     * Amazon S3: conditional PUT (412, or 409 ConditionalRequestConflict on a concurrent delete);
     * If-Match on a missing key answers 404; conditional DELETE honoured since 2025-09.
     */
    AWS(true, true, true, false, false),
    /** Cloudflare R2: conditional PUT; quoted ETags required; If-Match on DELETE undocumented, so refused. */
    R2(true, true, false, true, false),
    /**
     * Google Cloud Storage's XML API ignores S3's If-None-Match and If-Match on writes (its
     * preconditions are generation numbers), so a conditional write there would silently be an
     * overwrite: this profile refuses to open an atomic backend.
     */
    GCS(false, true, false, true, false),
    /** DigitalOcean Spaces (runs on Ceph RGW): ETags unquoted in If-Match; conditional DELETE undocumented, so refused. */
    SPACES(true, false, false, true, false),
    /**
     * MinIO: conditional PUT honoured (needs a release from 2025-08 or later, where If-Match on a
     * missing key fails); If-Match on DELETE is ignored by the server, so refused.
     */
    MINIO(true, true, false, true, true),
    /**
     * Ceph RADOS Gateway: a quoted ETag in If-Match always fails, so it is sent unquoted; a stale
     * If-Match on DELETE deletes anyway (measured on 16.2), so conditional DELETE is refused; the
     * SDK's default payload checksums and an empty aws-chunked body are refused, so payloads go plainly.
     */
    CEPH(true, false, false, true, true),
    /** Any other S3-compatible store: the most conservative choices; run {@code tenure verify} first. */
    GENERIC(true, true, false, true, true);

    private final boolean conditionalPut;
    private final boolean quotedIfMatch;
    private final boolean conditionalDelete;
    private final boolean plainPayloads;
    private final boolean pathStyleByDefault;

    S3Profile(boolean conditionalPut, boolean quotedIfMatch, boolean conditionalDelete, boolean plainPayloads,
            boolean pathStyleByDefault) {
        this.conditionalPut = conditionalPut;
        this.quotedIfMatch = quotedIfMatch;
        this.conditionalDelete = conditionalDelete;
        this.plainPayloads = plainPayloads;
        this.pathStyleByDefault = pathStyleByDefault;
    }

    /** True when the store enforces {@code If-None-Match} and {@code If-Match} on PUT. */
    public boolean conditionalPut() {
        return conditionalPut;
    }

    /** True when the store wants the ETag in {@code If-Match} exactly as returned (quoted). */
    public boolean quotedIfMatch() {
        return quotedIfMatch;
    }

    /** True when the store enforces {@code If-Match} on DELETE; otherwise Tenure refuses conditional deletes. */
    public boolean conditionalDelete() {
        return conditionalDelete;
    }

    /**
     * True when payloads go plainly: checksums only where an operation requires them, and no
     * {@code aws-chunked} streaming signature (RGW 16 refuses the SDK's default checksums, and an
     * empty body sent as aws-chunked).
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
        return quotedIfMatch ? "\"" + bare + "\"" : bare;
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
