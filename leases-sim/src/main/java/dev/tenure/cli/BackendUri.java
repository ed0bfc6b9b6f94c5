package dev.tenure.cli;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import java.nio.file.Path;

/** Opens a backend from a URI given on the command line. */
final class BackendUri {

    private BackendUri() {
    }

    /**
     * {@code file:///absolute/dir} or {@code file:relative/dir} (created when missing), or
     * {@code mem:} (a fresh in-process store).
     *
     * @throws BackendException CONFIG for anything else, saying which forms are understood
     */
    static AtomicRemoteBackend openAtomic(String uri) {
        if (uri.equals("mem:") || uri.startsWith("mem:")) {
            return new InMemoryBackend(uri);
        }
        if (uri.startsWith("file://")) {
            return LocalBackend.create(Path.of(uri.substring("file://".length())));
        }
        if (uri.startsWith("file:")) {
            return LocalBackend.create(Path.of(uri.substring("file:".length())));
        }
        throw BackendException.config(null, "unsupported backend URI '" + uri
                + "': use file:///path/to/dir or mem:", null);
    }
}
