package dev.tenure.ledger;

/** A ledger failure that is not a plain backend error; the subclasses say which. */
public class LedgerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    LedgerException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A writer met a higher epoch: a newer writer fenced it off. Its pending appends fail with this. */
    public static final class Fenced extends LedgerException {
        private static final long serialVersionUID = 1L;

        public Fenced(String message) {
            super(message, null);
        }
    }

    /** A segment failed its checksum or could not be parsed; names the segment. */
    public static final class Corrupt extends LedgerException {
        private static final long serialVersionUID = 1L;

        public Corrupt(String message) {
            super(message, null);
        }
    }

    /**
     * The append's outcome is not known: its segment write may or may not have landed, and the
     * writer gave up reading it back (the store stayed unreachable past the retry budget). The
     * entry may appear in the log later; retrying the append blindly may write it twice.
     */
    public static final class OutcomeUnknown extends LedgerException {
        private static final long serialVersionUID = 1L;

        public OutcomeUnknown(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The writer was closed, or failed earlier, before this append was written: it is definitely not in the log. */
    public static final class Closed extends LedgerException {
        private static final long serialVersionUID = 1L;

        public Closed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A reader asked for (or reached) a position that retention already cut: it fell behind. It
     * can resume from {@link #firstReadable()}, knowing that everything between was deleted.
     */
    public static final class Truncated extends LedgerException {
        private static final long serialVersionUID = 1L;
        private final Position requested;
        private final Position firstReadable;

        public Truncated(String ledger, Position requested, Position firstReadable) {
            super("ledger " + ledger + " was truncated before " + firstReadable + ": position " + requested
                    + " is gone; the first readable position is " + firstReadable, null);
            this.requested = requested;
            this.firstReadable = firstReadable;
        }

        /** The position the reader needed. */
        public Position requested() {
            return requested;
        }

        /** The first position still readable when this was found. */
        public Position firstReadable() {
            return firstReadable;
        }
    }
}
