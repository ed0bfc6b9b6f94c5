package dev.tenure.backend.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Names of the files or URL path components that hold objects, for backends that store a key's
 * segments as a directory tree (local files, WebDAV).
 *
 * <p>Each key segment becomes one name, percent-encoded except for {@code [A-Za-z0-9._-]}. The
 * last segment names the object itself and carries the suffix {@value #SUFFIX}; other segments
 * name directories. A directory name never ends with the suffix (its final dot is encoded when
 * it would), so the keys {@code a}, {@code a/b} and {@code a.obj/b} never collide, and a leading
 * dot is encoded so no key can name a hidden or internal file.
 */
public final class SegmentNames {

    /** The suffix of every object's own name. */
    public static final String SUFFIX = ".obj";
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private SegmentNames() {
    }

    /** The name of a directory holding keys whose segment is {@code segment}. */
    public static String directory(String segment) {
        return encodeSegment(segment);
    }

    /** The name of the object whose last segment is {@code segment}. */
    public static String object(String segment) {
        return encodeSegment(segment) + SUFFIX;
    }

    /** The key segment a directory name stands for, or null when no key produces that name. */
    public static String fromDirectory(String name) {
        return decodeSegment(name);
    }

    /** The key segment an object name stands for, or null when no key produces that name. */
    public static String fromObject(String name) {
        if (!name.endsWith(SUFFIX)) {
            return null;
        }
        return decodeSegment(name.substring(0, name.length() - SUFFIX.length()));
    }

    private static String encodeSegment(String segment) {
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

    /** Decodes one name; null when it is not something {@link #encodeSegment} produces. */
    private static String decodeSegment(String name) {
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
