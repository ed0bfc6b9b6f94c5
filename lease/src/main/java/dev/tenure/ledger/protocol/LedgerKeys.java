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
        return prefix + "seg/" + String.format("%019d", seq);
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
