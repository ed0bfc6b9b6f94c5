package dev.tenure.backend;

import java.util.Objects;

/**
 * An opaque version token of one stored object, exactly as the store returned it.
 *
 * <p>Tokens are compared exactly; a backend that needs another spelling on the wire normalises
 * inside itself. A token identifies one write: no Tenure backend reuses a token for a different
 * write of the same key (see the "no ABA" rule in {@code docs/backends.md}).
 *
 * @param token the store's token; never blank
 */
public record ObjectVersion(String token) {

    /** Creates a version; rejects a null or blank token. */
    public ObjectVersion {
        Objects.requireNonNull(token, "token");
        if (token.isBlank()) {
            throw new IllegalArgumentException("an object version token must not be blank");
        }
    }

    /** Shorthand for {@code new ObjectVersion(token)}. */
    public static ObjectVersion of(String token) {
        return new ObjectVersion(token);
    }

    @Override
    public String toString() {
        return token;
    }
}
