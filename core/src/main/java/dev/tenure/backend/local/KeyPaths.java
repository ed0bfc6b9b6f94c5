package dev.tenure.backend.local;

import dev.tenure.backend.BackendException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Maps keys to paths under the root and back.
 *
 * <p>Each key segment becomes one path component, percent-encoded except for
 * {@code [A-Za-z0-9._-]}. The last segment names a data file with the suffix {@value #SUFFIX};
 * other segments name directories. A directory name never ends with the suffix (its final dot is
 * encoded when it would), so the keys {@code a} and {@code a.obj/b} never collide, and a leading
 * dot is encoded so no key can reach the internal {@code .tenure} directory.
 */
final class KeyPaths {

    static final String SUFFIX = ".obj";
    private static final int MAX_NAME_BYTES = 255;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private KeyPaths() {
    }

    /** The relative path of the data file for a valid key. */
    static Path relativePath(Path root, String key) {
        String[] segments = key.split("/", -1);
        Path path = root;
        for (int i = 0; i < segments.length; i++) {
            boolean last = i == segments.length - 1;
            String name = encodeSegment(segments[i]) + (last ? SUFFIX : "");
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
            dir = dir.resolve(encodeSegment(segment));
        }
        return dir;
    }

    static String encodeSegment(String segment) {
        byte[] utf8 = segment.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(utf8.length + 8);
        for (int i = 0; i < utf8.length; i++) {
            int b = utf8[i] & 0xff;
            boolean safe = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                    || b == '-' || b == '_' || (b == '.' && i > 0);
            if (safe) {
                out.append((char) b);
            } else {
                out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xf]);
            }
        }
        if (out.length() >= SUFFIX.length() && out.lastIndexOf(SUFFIX) == out.length() - SUFFIX.length()) {
            int dot = out.length() - SUFFIX.length();
            out.replace(dot, dot + 1, "%2E");
        }
        return out.toString();
    }

    /** Decodes one path component; null when it is not something {@link #encodeSegment} produces. */
    static String decodeSegment(String name) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%') {
                if (i + 2 >= name.length()) {
                    return null;
                }
                int hi = Character.digit(name.charAt(i + 1), 16);
                int lo = Character.digit(name.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80) {
                bytes.write(c);
            } else {
                return null;
            }
        }
        String decoded = bytes.toString(StandardCharsets.UTF_8);
        return encodeSegment(decoded).equals(name) ? decoded : null;
    }
}
