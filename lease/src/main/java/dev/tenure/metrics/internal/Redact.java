package dev.tenure.metrics.internal;

import java.util.regex.Pattern;

/** Keeps secrets out of log lines: error messages can quote a URI, and a URI can carry a password. */
public final class Redact {

    /**
     * {@code scheme://user:secret@host} and {@code scheme://token@host}: everything between {@code //}
     * and the last {@code @} of the word, since a secret may hold {@code /} (base64 keys do) or a raw {@code @}.
     */
    private static final Pattern USERINFO = Pattern.compile("(?<=//)[^\\s'\"]*@");

    private Redact() {
    }

    /** {@code text} with the user info of every URI in it replaced by {@code ***@}; null as {@code "null"}. */
    public static String text(String text) {
        if (text == null) {
            return "null";
        }
        return text.indexOf('@') < 0 ? text : USERINFO.matcher(text).replaceAll("***@");
    }

    /** Milliseconds with one decimal, for log lines. */
    public static String millis(long nanos) {
        long tenths = nanos / 100_000;
        return (tenths / 10) + "." + Math.abs(tenths % 10);
    }
}
