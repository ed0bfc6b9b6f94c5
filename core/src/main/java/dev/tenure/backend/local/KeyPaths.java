package dev.tenure.backend.local;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.internal.SegmentNames;
import java.nio.file.Path;

/**
 * Maps keys to paths under the root, one path component per key segment, named by
 * {@link SegmentNames}; a leading dot is always encoded, so no key can reach the internal
 * {@code .tenure} directory.
 */
final class KeyPaths {

    private static final int MAX_NAME_BYTES = 255;

    private KeyPaths() {
    }

    /** The relative path of the data file for a valid key. */
    static Path relativePath(Path root, String key) {
        String[] segments = key.split("/", -1);
        Path path = root;
        for (int i = 0; i < segments.length; i++) {
            boolean last = i == segments.length - 1;
            String name = last ? SegmentNames.object(segments[i]) : SegmentNames.directory(segments[i]);
            if (name.length() > MAX_NAME_BYTES) {
                throw BackendException.config(key, "key segment '" + segments[i] + "' is too long for a local file name ("
                        + name.length() + " bytes encoded, at most " + MAX_NAME_BYTES + ")", null);
            }
            path = path.resolve(name);
        }
        return path;
    }

    /** The directory holding every key that starts with the complete segments of {@code prefix}. */
    static Path directoryForPrefix(Path root, String prefix) {
        int slash = prefix.lastIndexOf('/');
        if (slash < 0) {
            return root;
        }
        Path dir = root;
        for (String segment : prefix.substring(0, slash).split("/", -1)) {
            dir = dir.resolve(SegmentNames.directory(segment));
        }
        return dir;
    }
}
