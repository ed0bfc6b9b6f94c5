package dev.tenure.backend;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A store of whole objects under string keys: snapshot transport.
 *
 * <p>This interface promises nothing about concurrent writers: two uploads to one key may
 * silently overwrite each other. Code that needs that promise takes an
 * {@link AtomicRemoteBackend}. Keys follow {@link Keys}; every method rejects a bad key with a
 * CONFIG error before touching the store. Implementations are thread-safe.
 */
public interface RemoteBackend extends AutoCloseable {

    /** A short human-readable name for logs and messages, never containing a secret. */
    String name();

    /**
     * Downloads the object under {@code key} into {@code localPath}, replacing that file
     * atomically, so a reader of {@code localPath} sees the old file or the whole new one.
     *
     * @return false when no object exists under the key (the local file is then untouched)
     * @throws BackendException on any failure
     */
    boolean download(String key, Path localPath);

    /**
     * Uploads the file at {@code localPath} under {@code key}, unconditionally.
     *
     * @throws BackendException on any failure; CONFIG when the local file cannot be read
     */
    void upload(Path localPath, String key);

    /** True when an object exists under {@code key}. */
    boolean exists(String key);

    /** Deletes the object under {@code key}; succeeds when there is none. */
    void delete(String key);

    /**
     * Every key that starts with {@code prefix}, sorted by UTF-16 code units ({@link String}
     * order) and complete: implementations follow pagination to the end.
     *
     * @param prefix a listing prefix ({@link Keys#requireValidPrefix}); "" lists everything
     */
    List<String> list(String prefix);

    /**
     * How long one operation of a caller against this backend may take, retries included, as the
     * backend's settings say: for the remote backends, their request timeout ({@code requestTimeoutMs}
     * in their URIs, 30 s by default), the longest one request may take. A caller that retries
     * stops retrying at this deadline, so a store that accepts connections and never answers fails
     * an operation in about this long, not in the policy's attempts times the request timeout. An
     * attempt in flight is never abandoned (a write abandoned may still land), so an operation
     * ends at the latest one request later. Empty when the backend sets none (the local and
     * in-memory backends, which fail fast).
     */
    default Optional<Duration> operationDeadline() {
        return Optional.empty();
    }

    /** Releases clients, pools and threads this backend holds. Idempotent. */
    @Override
    default void close() {
    }
}
