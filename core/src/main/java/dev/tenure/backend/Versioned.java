package dev.tenure.backend;

import java.util.Objects;

/**
 * A value read from a store together with the version of the object it came from, both taken
 * from one response.
 *
 * <p>For {@code Versioned<byte[]>} the array is the caller's to keep; backends never retain it.
 *
 * @param value the content
 * @param version the version of exactly that content
 * @param <T> the content type
 */
public record Versioned<T>(T value, ObjectVersion version) {

    /** Creates a pair; neither part may be null. */
    public Versioned {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(version, "version");
    }
}
