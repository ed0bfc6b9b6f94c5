package dev.tenure.snapshot;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.Lease;
import java.nio.file.Path;

/**
 * A named snapshot on an atomic backend: one writer at a time, fenced by a lease's tokens, and
 * any number of readers. Every flush is a compare-and-swap of the manifest, so two writers never
 * silently overwrite each other's snapshot. For a backend without compare-and-swap, see
 * {@link UnconditionalSnapshotStore}. The layout and the rules are in {@code docs/snapshots.md}.
 *
 * <p>Holds nothing but settings; the backend stays the caller's to close.
 */
public final class SnapshotStore extends AbstractSnapshotStore {

    private SnapshotStore(SnapshotObjects remote) {
        super(remote);
    }

    /**
     * The snapshot {@code name} on {@code backend}; nothing is read or written yet.
     *
     * @param name one key segment, without {@code /}
     * @throws dev.tenure.backend.BackendException CONFIG when the name is not a valid key segment
     */
    public static SnapshotStore open(AtomicRemoteBackend backend, String name, SnapshotOptions options) {
        return new SnapshotStore(SnapshotObjects.of(backend, backend, name, options));
    }

    /**
     * The writer holding {@code token}: claims the snapshot for the token's epoch (so every writer
     * with a lower epoch fails its next flush), then downloads the current snapshot into
     * {@code local} unless the file already holds it. A token of the same epoch as the manifest's
     * adopts the snapshot as it is. A local file holding data the store does not have is never
     * overwritten: see {@link LocalFilePolicy#REFUSE_LOCAL_CHANGES}.
     *
     * @param token the lease's fencing token; every writer of one snapshot must use tokens of the same lease
     * @param writerId names this writer in manifests and messages
     * @throws SnapshotException.Fenced when a writer with a higher epoch already claimed the snapshot
     * @throws SnapshotException.LocalChanges when {@code local} holds data the store does not have
     *     (the claim has been made; nothing local was changed)
     * @throws dev.tenure.backend.BackendException CONFIG when the snapshot is fenced by another lease
     */
    public SnapshotWriter writer(FencingToken token, String writerId, Path local) {
        return writer(token, writerId, local, LocalFilePolicy.REFUSE_LOCAL_CHANGES);
    }

    /**
     * As {@link #writer(FencingToken, String, Path)} with the lease's token, bound to the lease: the
     * writer closes itself when the lease ends ({@link SnapshotWriter#closeWhenLost}).
     */
    public SnapshotWriter writer(Lease lease, String writerId, Path local) {
        return writer(lease.fencingToken(), writerId, local).closeWhenLost(lease);
    }

    /**
     * As {@link #writer(FencingToken, String, Path)}, with the caller's choice of what opening
     * does with the local file.
     *
     * @throws dev.tenure.backend.BackendException CONFIG when {@code policy} is
     *     {@link LocalFilePolicy#UPLOAD_LOCAL_FILE} and the file does not exist (nothing was written)
     */
    public SnapshotWriter writer(FencingToken token, String writerId, Path local, LocalFilePolicy policy) {
        return SnapshotWriter.fenced(remote, token, writerId, local, policy);
    }
}
