package dev.tenure.snapshot;

/**
 * What opening a {@link SnapshotWriter} does with its local file. The default,
 * {@link #REFUSE_LOCAL_CHANGES}, never overwrites data the store does not have; the two others
 * are explicit choices the caller makes.
 */
public enum LocalFilePolicy {
    /**
     * The default. Downloads the stored snapshot when the local file is missing or is an unchanged
     * copy of stored content (its size and SHA-256 are those of the content it last came from, or
     * of the current content). A file holding anything else is left as it is and opening fails
     * with {@link SnapshotException.LocalChanges}.
     */
    REFUSE_LOCAL_CHANGES,
    /**
     * Replaces the local file with the stored snapshot whatever it holds: changes that were never
     * flushed are lost. For a replica that knows its file is stale.
     */
    DISCARD_LOCAL_CHANGES,
    /**
     * Leaves the local file exactly as it is, whatever the store holds; the next flush uploads it
     * as the next generation. The file must exist. This is what {@code tenure snapshot push} does.
     */
    UPLOAD_LOCAL_FILE
}
