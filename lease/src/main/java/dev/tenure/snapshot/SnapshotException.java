package dev.tenure.snapshot;

/**
 * A snapshot failure that is not a plain backend error; the subclasses say which and what to do.
 * Backend failures that retries did not cure stay {@link dev.tenure.backend.BackendException}s.
 */
public abstract sealed class SnapshotException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    SnapshotException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * A writer with a higher epoch has claimed the snapshot, or (for an unfenced writer) a fenced
     * writer owns it. This writer will never write it again; its flush was not applied.
     */
    public static final class Fenced extends SnapshotException {
        private static final long serialVersionUID = 1L;

        Fenced(String message) {
            super(message, null);
        }
    }

    /**
     * Another writer with the same epoch flushed since this writer last saw the snapshot; this
     * flush was not applied, and its changes are only in the local file. Open a new writer with
     * {@link LocalFilePolicy#DISCARD_LOCAL_CHANGES} (which downloads the winner's snapshot over
     * them) and redo the changes on top of it; a writer opened by default refuses the file.
     */
    public static final class Conflict extends SnapshotException {
        private static final long serialVersionUID = 1L;

        Conflict(String message) {
            super(message, null);
        }
    }

    /**
     * Downloaded content does not have the size or SHA-256 the manifest records. The local file
     * was left as it was. The remote content object is damaged; retrying reads the same bytes.
     */
    public static final class Integrity extends SnapshotException {
        private static final long serialVersionUID = 1L;

        Integrity(String message) {
            super(message, null);
        }
    }

    /**
     * The manifest cannot be read (not JSON, another format, another snapshot's name, a content
     * key outside the snapshot), or the content object it names is gone. Tenure never writes over
     * such a manifest; an operator has to look.
     */
    public static final class Corrupt extends SnapshotException {
        private static final long serialVersionUID = 1L;

        Corrupt(String message) {
            super(message, null);
        }
    }

    /**
     * A manifest write failed ambiguously and reading back could not decide whether it landed.
     * The flush may or may not be visible; open a new writer or a reader to see which.
     */
    public static final class Indeterminate extends SnapshotException {
        private static final long serialVersionUID = 1L;

        Indeterminate(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Opening a writer found data in the local file that the store does not have: the file
     * differs from the snapshot content it last came from (or never came from this snapshot), so
     * downloading the stored snapshot over it would lose it. Nothing was overwritten. Flush it
     * (open with {@link LocalFilePolicy#UPLOAD_LOCAL_FILE}), discard it (open with
     * {@link LocalFilePolicy#DISCARD_LOCAL_CHANGES}), or move the file away first.
     */
    public static final class LocalChanges extends SnapshotException {
        private static final long serialVersionUID = 1L;

        LocalChanges(String message) {
            super(message, null);
        }
    }

    /** The writer was closed. */
    public static final class Closed extends SnapshotException {
        private static final long serialVersionUID = 1L;

        Closed(String message) {
            super(message, null);
        }
    }
}
