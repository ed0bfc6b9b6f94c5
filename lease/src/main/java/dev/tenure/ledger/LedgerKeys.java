package dev.tenure.ledger;

/** Where a ledger's objects live: one definition for the reader, the writer and its machine. */
final class LedgerKeys {

    private LedgerKeys() {
    }

    static String prefix(String ledgerName) {
        return "ledgers/" + ledgerName + "/";
    }

    static String segment(String prefix, long seq) {
        return prefix + "seg/" + String.format("%019d", seq);
    }

    static String epoch(String prefix) {
        return prefix + "epoch";
    }

    static String checkpoint(String prefix) {
        return prefix + "checkpoint";
    }
}
