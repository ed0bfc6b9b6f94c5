package dev.tenure.backend;

import java.util.Objects;

/** The condition under which a conditional write is applied; anything else fails with PreconditionFailed. */
public sealed interface ConditionalPut {

    /** Write only when no object exists under the key ({@code If-None-Match: *}). */
    static ConditionalPut ifAbsent() {
        return IfAbsent.INSTANCE;
    }

    /** Write only when the current object has exactly this version ({@code If-Match}). */
    static ConditionalPut ifVersion(ObjectVersion version) {
        return new IfVersion(version);
    }

    /** Applies only when the key holds no object. */
    enum IfAbsent implements ConditionalPut {
        /** The single instance. */
        INSTANCE;

        @Override
        public String toString() {
            return "IfAbsent";
        }
    }

    /**
     * Applies only when the key holds the object with this version; a missing object fails the
     * condition.
     *
     * @param version the expected current version
     */
    record IfVersion(ObjectVersion version) implements ConditionalPut {
        /** Rejects a null version. */
        public IfVersion {
            Objects.requireNonNull(version, "version");
        }
    }
}
