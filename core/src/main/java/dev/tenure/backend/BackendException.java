package dev.tenure.backend;

import java.util.Objects;
import java.util.Optional;

/**
 * The one exception every backend throws.
 *
 * <p>{@link #kind()} says what went wrong and therefore what the caller may do about it; only
 * {@link Kind#TRANSPORT} is worth a blind retry. {@link #ambiguous()} says that a failed
 * mutation may nevertheless have been applied (a timeout after sending, a reset connection, a
 * 5xx on a write): the caller must read back before concluding anything. Messages name the key
 * and the problem and never carry credentials.
 */
public final class BackendException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What kind of failure this is; the set is closed. */
    public enum Kind {
        /** The store could not be reached or answered with a transient error; retry with backoff. */
        TRANSPORT,
        /** Credentials or permissions were refused; never means "absent". Fix the credentials. */
        AUTH,
        /** The object does not exist where the operation needs it to. */
        NOT_FOUND,
        /** A condition did not hold: another writer got there first. Re-read, then decide. */
        PRECONDITION_FAILED,
        /** The configuration or the input (a key, a root, an endpoint) is wrong. Fix it. */
        CONFIG,
        /** The store or its content is broken (a corrupt object, an unexpected answer). */
        INTERNAL
    }

    private final Kind kind;
    private final boolean ambiguous;
    private final String key;

    private BackendException(Kind kind, String key, boolean ambiguous, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.key = key;
        this.ambiguous = ambiguous;
    }

    /** A transient failure; {@code ambiguous} when a mutation may have been applied. */
    public static BackendException transport(String key, boolean ambiguous, String message, Throwable cause) {
        return new BackendException(Kind.TRANSPORT, key, ambiguous, message, cause);
    }

    /** Credentials or permissions were refused. */
    public static BackendException auth(String key, String message, Throwable cause) {
        return new BackendException(Kind.AUTH, key, false, message, cause);
    }

    /** The object under {@code key} does not exist. */
    public static BackendException notFound(String key, String message) {
        return new BackendException(Kind.NOT_FOUND, key, false, message, null);
    }

    /** A condition on {@code key} did not hold; nothing was written. */
    public static BackendException preconditionFailed(String key, String message) {
        return new BackendException(Kind.PRECONDITION_FAILED, key, false, message, null);
    }

    /** The configuration or the input is wrong. */
    public static BackendException config(String key, String message, Throwable cause) {
        return new BackendException(Kind.CONFIG, key, false, message, cause);
    }

    /** The store or its content is broken. */
    public static BackendException internal(String key, String message, Throwable cause) {
        return new BackendException(Kind.INTERNAL, key, false, message, cause);
    }

    /** What kind of failure this is. */
    public Kind kind() {
        return kind;
    }

    /** True when the failed mutation may have been applied; read back before concluding. */
    public boolean ambiguous() {
        return ambiguous;
    }

    /** True only for transport failures, the one kind worth a retry with backoff. */
    public boolean retryable() {
        return kind == Kind.TRANSPORT;
    }

    /** The key the failed operation was about, when there was one. */
    public Optional<String> key() {
        return Optional.ofNullable(key);
    }

    /** True when this failure is of the given kind. */
    public boolean is(Kind expected) {
        return kind == expected;
    }

    @Override
    public String toString() {
        return "BackendException[" + kind + (ambiguous ? ", ambiguous" : "") + "]: " + getMessage();
    }
}
