package dev.tenure.ledger.protocol;

import dev.tenure.ledger.LedgerException;
import java.nio.charset.StandardCharsets;

/** Where a ledger's objects live: one definition for the reader, the writer and its machine. */
public final class LedgerKeys {

    private LedgerKeys() {
    }

    public static String prefix(String ledgerName) {
        return "ledgers/" + ledgerName + "/";
    }

    public static String segment(String prefix, long seq) {
        if (seq < 0) {
            return prefix + "seg/" + String.format("%019d", seq);
        }
        // Zero-padded to 19 digits, as %019d does, without a Formatter, a builder or an intermediate
        // string: one array filled from the right (the hottest line of a ledger read).
        int p = prefix.length();
        char[] key = new char[p + 4 + 19];
        prefix.getChars(0, p, key, 0);
        "seg/".getChars(0, 4, key, p);
        long v = seq;
        for (int i = key.length - 1; i >= p + 4; i--) {
            key[i] = (char) ('0' + (int) (v % 10));
            v /= 10;
        }
        return new String(key);
    }

    public static String epoch(String prefix) {
        return prefix + "epoch";
    }

    public static String checkpoint(String prefix) {
        return prefix + "checkpoint";
    }

    /** A record that holds one number (the {@code epoch} record): its value, or a typed error naming the key. */
    public static long parseNumber(String key, byte[] raw) {
        String s = new String(raw, StandardCharsets.UTF_8).trim();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new LedgerException.Corrupt(key + " should hold a number, not '" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'");
        }
    }
}
