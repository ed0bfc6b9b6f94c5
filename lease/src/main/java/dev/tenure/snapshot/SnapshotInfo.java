package dev.tenure.snapshot;

import java.util.Objects;

/**
 * One flushed snapshot, as its manifest describes it.
 *
 * @param name the snapshot's name
 * @param epoch the epoch of the writer that flushed this content (0 for unfenced writers); a later
 *     claim by a newer writer does not change it
 * @param generation rises by one per acknowledged flush; 1 for the first
 * @param contentKey the immutable object holding the content
 * @param size the content's length in bytes
 * @param sha256 the SHA-256 of the content, 64 lowercase hex digits
 * @param writerId the writer that flushed this content
 * @param writtenAtMillis the flushing writer's wall clock; informational only, never compared
 */
public record SnapshotInfo(String name, long epoch, long generation, String contentKey, long size, String sha256,
        String writerId, long writtenAtMillis) {

    /** Rejects nulls. */
    public SnapshotInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(contentKey, "contentKey");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(writerId, "writerId");
    }
}
