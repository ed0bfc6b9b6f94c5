package dev.tenure.ledger;

/** Where a ledger's objects live: one definition for the reader, the writer and its machine. */
final class LedgerKeys {

    private LedgerKeys() {
    }

    static String prefix(String ledgerName) {
        return "ledgers/" + ledgerName + "/";
    }

    static String segment(String prefix, long seq) {
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

    static String epoch(String prefix) {
        return prefix + "epoch";
    }

    static String checkpoint(String prefix) {
        return prefix + "checkpoint";
    }
}
