package dev.tenure.backend;

import dev.tenure.backend.local.LocalBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.backend.s3.S3Backend;
import java.nio.file.Path;

/** Opens a backend from a URI, as the command line and configuration files name them. */
public final class BackendUris {

    private BackendUris() {
    }

    /**
     * Opens an atomic backend:
     * <ul>
     *   <li>{@code file:///absolute/dir} or {@code file:relative/dir}: {@link LocalBackend} (created when missing);</li>
     *   <li>{@code mem:} or {@code mem:name}: a fresh {@link InMemoryBackend};</li>
     *   <li>{@code s3://bucket/prefix?endpoint=...&region=...&profile=...}: {@link S3Backend}, with
     *       credentials from the AWS default chain.</li>
     * </ul>
     *
     * @throws BackendException CONFIG for anything else, listing the forms understood
     */
    public static AtomicRemoteBackend openAtomic(String uri) {
        if (uri == null || uri.isBlank()) {
            throw BackendException.config(null, "no backend URI given", null);
        }
        if (uri.startsWith("mem:")) {
            return new InMemoryBackend(uri);
        }
        if (uri.startsWith("file://")) {
            return LocalBackend.create(Path.of(uri.substring("file://".length())));
        }
        if (uri.startsWith("file:")) {
            return LocalBackend.create(Path.of(uri.substring("file:".length())));
        }
        if (uri.startsWith("s3://")) {
            return S3Backend.open(uri);
        }
        int q = uri.indexOf('?');
        throw BackendException.config(null, "unsupported backend URI '" + (q < 0 ? uri : uri.substring(0, q) + "?...")
                + "': use file:///path/to/dir, mem:, or s3://bucket/prefix?endpoint=...&region=...&profile=...", null);
    }
}
