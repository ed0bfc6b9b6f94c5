package dev.tenure.cli;

import java.util.regex.Pattern;

/**
 * The last guard before a message reaches the terminal: any URI in it loses its user-info and its
 * query. The backends redact their own messages; picocli does not, and echoes the argument it
 * could not match, whole.
 */
final class Redaction {

    /** scheme://anything-up-to-the-last-'@'-of-the-word: a secret may hold '/', '?' or '#'. */
    private static final Pattern USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)[^\\s'\"]*@");
    private static final Pattern QUERY = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*:[^\\s'\"?]*)\\?[^\\s'\"]*");

    private Redaction() {
    }

    /** User-info out of every URI in {@code text}; for messages the backends built (they show no query already). */
    static String userInfo(String text) {
        return text == null ? null : USER_INFO.matcher(text).replaceAll("$1...@");
    }

    /** User-info and queries out of every URI in {@code text}; for picocli's messages, which echo arguments whole. */
    static String redact(String text) {
        return text == null ? null : QUERY.matcher(userInfo(text)).replaceAll("$1?...");
    }
}
