package dev.tenure.snapshot;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Keeps a local file equal to a snapshot's current content. Opening a reader downloads the
 * content unless the file already holds it; {@link #refresh()} does the same again later. A
 * download is checked against the manifest's size and SHA-256 before it replaces the file, so the
 * file always holds one complete, verified generation (or whatever it held before the first
 * download). Thread-safe; one reader or writer per local file.
 */
public final class SnapshotReader {

    private final SnapshotObjects remote;
    private final LocalCopy local;
    private Manifest held;

    private SnapshotReader(SnapshotObjects remote, LocalCopy local) {
        this.remote = remote;
        this.local = local;
    }

    static SnapshotReader open(SnapshotObjects remote, Path localPath) {
        SnapshotReader reader = new SnapshotReader(remote, LocalCopy.of(remote.name, localPath));
        reader.refresh();
        return reader;
    }

    /** The local file this reader keeps up to date. */
    public Path localFile() {
        return local.file();
    }

    /** The snapshot the local file holds; empty when nothing was ever flushed (the file is then left as it was). */
    public synchronized Optional<SnapshotInfo> current() {
        return held == null ? Optional.empty() : held.info();
    }

    /**
     * Reads the manifest and downloads the current content when the local file does not hold it
     * already (checking the file's size and SHA-256 against the record beside it).
     *
     * @return true when the local file was replaced
     * @throws SnapshotException.Integrity the downloaded content does not match the manifest; the file is untouched
     * @throws SnapshotException.Corrupt the manifest cannot be read, or names content that does not exist
     * @throws dev.tenure.backend.BackendException when the backend fails beyond the retry policy
     */
    public synchronized boolean refresh() {
        SnapshotObjects.Synced synced = remote.sync(local);
        if (synced.manifest().isPresent()) {
            held = synced.manifest().get();
        }
        return synced.changed();
    }
}
