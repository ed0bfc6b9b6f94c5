package dev.tenure.snapshot;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.lease.FencingToken;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A named snapshot on an atomic backend: one writer at a time, fenced by a lease's tokens, and
 * any number of readers. Every flush is a compare-and-swap of the manifest, so two writers never
 * silently overwrite each other's snapshot. For a backend without compare-and-swap, see
 * {@link UnconditionalSnapshotStore}. The layout and the rules are in {@code docs/snapshots.md}.
 *
 * <p>Holds nothing but settings; the backend stays the caller's to close.
 */
public final class SnapshotStore {

    private final Remote remote;

    private SnapshotStore(Remote remote) {
        this.remote = remote;
    }

    /**
     * The snapshot {@code name} on {@code backend}; nothing is read or written yet.
     *
     * @param name one key segment, without {@code /}
     * @throws dev.tenure.backend.BackendException CONFIG when the name is not a valid key segment
     */
    public static SnapshotStore open(AtomicRemoteBackend backend, String name, SnapshotOptions options) {
        return new SnapshotStore(Remote.of(backend, backend, name, options));
    }

    /** The snapshot's name. */
    public String name() {
        return remote.name;
    }

    /** The current snapshot as the manifest describes it; empty when nothing was ever flushed. One read. */
    public Optional<SnapshotInfo> latest() {
        return remote.readManifest().flatMap(c -> c.manifest().info());
    }

    /**
     * A reader keeping {@code local} equal to the current snapshot; downloads it now unless the
     * file already holds it.
     *
     * @throws SnapshotException.Integrity when the downloaded content does not match the manifest
     */
    public SnapshotReader reader(Path local) {
        return SnapshotReader.open(remote, local);
    }

    /**
     * The writer holding {@code token}: claims the snapshot for the token's epoch (so every writer
     * with a lower epoch fails its next flush), then downloads the current snapshot into
     * {@code local} unless the file already holds it. A token of the same epoch as the manifest's
     * adopts the snapshot as it is.
     *
     * @param token the lease's fencing token; every writer of one snapshot must use tokens of the same lease
     * @param writerId names this writer in manifests and messages
     * @throws SnapshotException.Fenced when a writer with a higher epoch already claimed the snapshot
     * @throws dev.tenure.backend.BackendException CONFIG when the snapshot is fenced by another lease
     */
    public SnapshotWriter writer(FencingToken token, String writerId, Path local) {
        return SnapshotWriter.fenced(remote, token, writerId, local);
    }
}
