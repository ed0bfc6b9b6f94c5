package dev.tenure.lease;

/**
 * Why {@link FencedObjects} did not write (or cannot say whether it wrote). A closed set: the
 * subclasses say which, and what the caller may do next.
 */
public abstract sealed class FencedWriteException extends RuntimeException
        permits FencedWriteException.Fenced, FencedWriteException.OutcomeUnknown, FencedWriteException.Closed,
        FencedWriteException.Foreign {

    private static final long serialVersionUID = 1L;
    private final String key;

    FencedWriteException(String key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** The object's key. */
    public String key() {
        return key;
    }

    /**
     * The object was written by a newer holder (its stored epoch is higher than this writer's
     * token): nothing was written. This writer's lease is gone; do not retry with the same token.
     */
    public static final class Fenced extends FencedWriteException {
        private static final long serialVersionUID = 1L;
        private final long storedEpoch;
        private final long tokenEpoch;

        Fenced(String key, long storedEpoch, long tokenEpoch) {
            super(key, "object " + key + " was written at epoch " + storedEpoch + ", above this writer's epoch " + tokenEpoch
                    + ": a newer holder fenced it off; nothing was written", null);
            this.storedEpoch = storedEpoch;
            this.tokenEpoch = tokenEpoch;
        }

        /** The epoch stored with the object. */
        public long storedEpoch() {
            return storedEpoch;
        }

        /** This writer's epoch. */
        public long tokenEpoch() {
            return tokenEpoch;
        }
    }

    /**
     * A write was sent and its answer lost (a timeout, a reset, a 5xx), and reading the object back
     * within the retry budget did not settle it: the data may be stored, or not. Read the object
     * before deciding; a blind retry is safe only if writing the same data twice is.
     */
    public static final class OutcomeUnknown extends FencedWriteException {
        private static final long serialVersionUID = 1L;

        OutcomeUnknown(String key, String message, Throwable cause) {
            super(key, message, cause);
        }
    }

    /** The helper was closed (typically because its lease was lost) before this write was sent: nothing was written. */
    public static final class Closed extends FencedWriteException {
        private static final long serialVersionUID = 1L;

        Closed(String key, String why) {
            super(key, "fenced writes are closed (" + why + "): " + key + " was not written", null);
        }
    }

    /**
     * The object under the key is not a fenced object of this lease (no fencing header, or another
     * lease's): it is left alone rather than overwritten, and nothing was written.
     */
    public static final class Foreign extends FencedWriteException {
        private static final long serialVersionUID = 1L;

        Foreign(String key, String why) {
            super(key, "object " + key + " is not a fenced object of this lease (" + why + "); it was left alone", null);
        }
    }
}
