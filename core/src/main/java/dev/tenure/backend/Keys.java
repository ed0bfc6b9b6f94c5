package dev.tenure.backend;

import java.nio.charset.StandardCharsets;

/**
 * The one place where object keys and listing prefixes are validated.
 *
 * <p>A key is a {@code /}-separated path of 1 to {@value #MAX_KEY_BYTES} UTF-8 bytes with no
 * leading {@code /}, no empty, {@code .} or {@code ..} segment, and no NUL or other control
 * character. These rules keep every key portable across stores and keep file-backed stores inside
 * their root. A bad key is a {@link BackendException.Kind#CONFIG} error that names the key.
 */
public final class Keys {

    /** The longest key accepted, in UTF-8 bytes (the S3 limit). */
    public static final int MAX_KEY_BYTES = 1024;

    private Keys() {
    }

    /**
     * Returns {@code key} when it is valid.
     *
     * @throws BackendException of kind CONFIG naming the key and the rule it breaks
     */
    public static String requireValid(String key) {
        String problem = problemWithKey(key);
        if (problem != null) {
            throw BackendException.config(key, "invalid key " + quote(key) + ": " + problem, null);
        }
        return key;
    }

    /**
     * Returns {@code prefix} when it is a valid listing prefix: empty, or the beginning of a valid
     * key. Only its complete segments (those followed by {@code /}) must be valid segments, so
     * {@code "ledgers/a"} matches {@code "ledgers/abc"}.
     *
     * @throws BackendException of kind CONFIG naming the prefix and the rule it breaks
     */
    public static String requireValidPrefix(String prefix) {
        if (prefix == null) {
            throw BackendException.config(null, "invalid prefix: null (use \"\" to list everything)", null);
        }
        if (prefix.isEmpty()) {
            return prefix;
        }
        String problem = commonProblem(prefix);
        if (problem == null) {
            String[] segments = prefix.split("/", -1);
            for (int i = 0; i < segments.length - 1 && problem == null; i++) {
                problem = segmentProblem(segments[i]);
            }
        }
        if (problem != null) {
            throw BackendException.config(prefix, "invalid prefix " + quote(prefix) + ": " + problem, null);
        }
        return prefix;
    }

    /** True when {@link #requireValid} would accept the key. */
    public static boolean isValid(String key) {
        return problemWithKey(key) == null;
    }

    private static String problemWithKey(String key) {
        if (key == null) {
            return "null";
        }
        if (key.isEmpty()) {
            return "empty";
        }
        String problem = commonProblem(key);
        if (problem != null) {
            return problem;
        }
        // Segment by segment, as split("/", -1) would cut them, without allocating: every store call checks its key.
        int from = 0;
        while (true) {
            int slash = key.indexOf('/', from);
            int to = slash < 0 ? key.length() : slash;
            int length = to - from;
            if (length == 0 || (length <= 2 && key.charAt(from) == '.' && (length == 1 || key.charAt(from + 1) == '.'))) {
                return segmentProblem(key.substring(from, to));
            }
            if (slash < 0) {
                return null;
            }
            from = slash + 1;
        }
    }

    private static String commonProblem(String s) {
        // At most 3 UTF-8 bytes per char (a surrogate pair is 4 bytes for 2 chars): short keys need no encoding to measure.
        if (s.length() * 3 > MAX_KEY_BYTES && s.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            return "longer than " + MAX_KEY_BYTES + " UTF-8 bytes";
        }
        if (s.startsWith("/")) {
            return "starts with '/'";
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                continue; // printable ASCII, nearly every key's every character: neither a control nor a surrogate
            }
            if (Character.isISOControl(c)) {
                return "contains control character U+" + String.format("%04X", (int) c) + " at index " + i;
            }
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length()
                        && Character.isLowSurrogate(s.charAt(i + 1));
                if (!paired) {
                    return "contains an unpaired surrogate at index " + i;
                }
                i++;
            }
        }
        return null;
    }

    private static String segmentProblem(String segment) {
        if (segment.isEmpty()) {
            return "has an empty segment";
        }
        if (segment.equals(".") || segment.equals("..")) {
            return "has a '" + segment + "' segment";
        }
        return null;
    }

    /** Quotes a user-supplied string for a message, escaping control characters so logs stay readable. */
    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        int shown = Math.min(s.length(), 200);
        for (int i = 0; i < shown; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (shown < s.length()) {
            out.append("...(").append(s.length()).append(" chars)");
        }
        return out.append('"').toString();
    }
}
