package dev.tenure.backend;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A store that promises no versioned object is ever silently overwritten: conditional writes are
 * enforced by the store itself, atomically, against every other writer.
 *
 * <p>A failed condition is a {@link BackendException.Kind#PRECONDITION_FAILED} error and writes
 * nothing. A condition on a missing object ({@code IfVersion} when nothing is stored) fails the
 * same way. Every successful write produces a version token that no other write of the same key
 * produces, even when the bytes are equal.
 */
public interface AtomicRemoteBackend extends RemoteBackend {

    /** The current version of the object under {@code key}, or empty when there is none. */
    Optional<ObjectVersion> objectVersion(String key);

    /**
     * The content and version of the object under {@code key}, both from one response, or empty
     * when there is none.
     */
    Optional<Versioned<byte[]>> read(String key);

    /**
     * Writes {@code bytes} under {@code key} if {@code condition} holds.
     *
     * @return the version of the object just written, taken from the write itself
     * @throws BackendException PRECONDITION_FAILED when the condition does not hold (nothing was
     *     written); TRANSPORT, possibly {@linkplain BackendException#ambiguous() ambiguous}, when
     *     the outcome is unknown
     */
    ObjectVersion put(String key, byte[] bytes, ConditionalPut condition);

    /**
     * Uploads the file at {@code localPath} under {@code key} if {@code condition} holds.
     *
     * @return the version of the object just written
     * @throws BackendException as for {@link #put}
     */
    ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition);

    /**
     * Deletes the object under {@code key} if {@code condition} holds.
     *
     * @throws BackendException PRECONDITION_FAILED when the object is missing or has another
     *     version (nothing was deleted); CONFIG when the store cannot enforce the condition
     */
    void deleteConditional(String key, ConditionalDelete condition);
}
