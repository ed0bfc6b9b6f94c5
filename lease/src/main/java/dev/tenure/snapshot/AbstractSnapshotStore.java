package dev.tenure.snapshot;

import java.nio.file.Path;
import java.util.Optional;

/** What both kinds of snapshot store offer alike: the name, the latest generation, and readers. */
abstract class AbstractSnapshotStore {

    final SnapshotObjects remote;

    AbstractSnapshotStore(SnapshotObjects remote) {
        this.remote = remote;
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
}
