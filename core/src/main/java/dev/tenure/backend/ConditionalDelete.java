package dev.tenure.backend;

import java.util.Objects;

/** The condition under which a conditional delete is applied. */
public sealed interface ConditionalDelete {

    /** Delete only when the current object has exactly this version. */
    static ConditionalDelete ifVersion(ObjectVersion version) {
        return new IfVersion(version);
    }

    /**
     * Applies only when the key holds the object with this version; a missing object fails the
     * condition.
     *
     * @param version the expected current version
     */
    record IfVersion(ObjectVersion version) implements ConditionalDelete {
        /** Rejects a null version. */
        public IfVersion {
            Objects.requireNonNull(version, "version");
        }
    }
}
