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

    static String redact(String text) {
        if (text == null) {
            return null;
        }
        String s = USER_INFO.matcher(text).replaceAll("$1...@");
        return QUERY.matcher(s).replaceAll("$1?...");
    }
}
