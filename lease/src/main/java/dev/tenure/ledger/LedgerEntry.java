package dev.tenure.ledger;

/**
 * One committed entry as a reader sees it.
 *
 * @param position where it lives
 * @param epoch the epoch of the writer that wrote it (0 in multi-writer mode)
 * @param writer the writer's id
 * @param data the bytes appended (the caller's to keep)
 */
public record LedgerEntry(Position position, long epoch, String writer, byte[] data) {
}
