package dev.tenure.backend.sql.wire;

import java.util.Objects;

/**
 * A value bound to a statement parameter. Values travel beside the SQL text in the protocol's own
 * typed form and are never spliced into SQL or JSON text by hand.
 */
public sealed interface SqlValue {

    /** A text value. */
    static SqlValue text(String value) {
        return new Text(value);
    }

    /** A 64-bit integer value. */
    static SqlValue integer(long value) {
        return new Int(value);
    }

    /** A binary value; the array is not copied, so the caller must not change it afterwards. */
    static SqlValue blob(byte[] bytes) {
        return new Blob(bytes);
    }

    /**
     * A text value.
     *
     * @param value the text
     */
    record Text(String value) implements SqlValue {
        /** Rejects null. */
        public Text {
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * A 64-bit signed integer.
     *
     * @param value the integer
     */
    record Int(long value) implements SqlValue {
    }

    /**
     * Binary content.
     *
     * @param bytes the content, not copied
     */
    record Blob(byte[] bytes) implements SqlValue {
        /** Rejects null. */
        public Blob {
            Objects.requireNonNull(bytes, "bytes");
        }

        @Override
        public String toString() {
            return "Blob[" + bytes.length + " bytes]";
        }
    }
}
