package dev.tenure.snapshot;

import dev.tenure.backend.RemoteBackend;
import java.nio.file.Path;

/**
 * A named snapshot on any backend, written <strong>unconditionally</strong>: for stores that
 * cannot compare-and-swap (Turso, D1, a plain HTTP server). Integrity is checked end to end and
 * local replacement is atomic as with {@link SnapshotStore}, but nothing stops two writers from
 * overwriting each other: the last manifest written wins. Run one writer at a time by other means,
 * or use an atomic backend and {@link SnapshotStore}, whose fenced writers this type cannot create.
 *
 * <p>An unfenced writer refuses a snapshot that fenced writers have claimed. Holds nothing but
 * settings; the backend stays the caller's to close.
 */
public final class UnconditionalSnapshotStore extends AbstractSnapshotStore {

    private UnconditionalSnapshotStore(SnapshotObjects remote) {
        super(remote);
    }

    /**
     * The snapshot {@code name} on {@code backend}, used through plain uploads and downloads only,
     * even when the backend could compare-and-swap.
     *
     * @param name one key segment, without {@code /}
     * @throws dev.tenure.backend.BackendException CONFIG when the name is not a valid key segment
     */
    public static UnconditionalSnapshotStore open(RemoteBackend backend, String name, SnapshotOptions options) {
        return new UnconditionalSnapshotStore(SnapshotObjects.of(backend, null, name, options));
    }

    /**
     * A writer whose flushes overwrite the manifest unconditionally; downloads the current
     * snapshot into {@code local} first unless the file already holds it. A local file holding
     * data the store does not have is never overwritten: see
     * {@link LocalFilePolicy#REFUSE_LOCAL_CHANGES}. A flush that finds a manifest it has not seen
     * logs a warning and replaces it anyway.
     *
     * @param writerId names this writer in manifests and messages
     * @throws SnapshotException.Fenced when fenced writers have claimed the snapshot
     * @throws SnapshotException.LocalChanges when {@code local} holds data the store does not have
     */
    public SnapshotWriter unfencedWriter(String writerId, Path local) {
        return unfencedWriter(writerId, local, LocalFilePolicy.REFUSE_LOCAL_CHANGES);
    }

    /**
     * As {@link #unfencedWriter(String, Path)}, with the caller's choice of what opening does with
     * the local file.
     *
     * @throws dev.tenure.backend.BackendException CONFIG when {@code policy} is
     *     {@link LocalFilePolicy#UPLOAD_LOCAL_FILE} and the file does not exist
     */
    public SnapshotWriter unfencedWriter(String writerId, Path local, LocalFilePolicy policy) {
        return SnapshotWriter.unfenced(remote, writerId, local, policy);
    }
}
