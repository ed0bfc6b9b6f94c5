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
        // Zero-padded to 19 digits, as %019d does, without a Formatter (the hottest line of a ledger read).
        String digits = Long.toString(seq);
        StringBuilder key = new StringBuilder(prefix.length() + 4 + 19).append(prefix).append("seg/");
        for (int i = digits.length(); i < 19; i++) {
            key.append('0');
        }
        return key.append(digits).toString();
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
