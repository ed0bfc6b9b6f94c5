package dev.tenure.ledger;

import java.util.Comparator;

/**
 * Where an entry lives: its segment's sequence number and its index inside the segment.
 *
 * @param segment the segment sequence number (1 for the first)
 * @param index the entry's index within the segment (0 for the first)
 */
public record Position(long segment, int index) implements Comparable<Position> {

    private static final Comparator<Position> ORDER = Comparator.comparingLong(Position::segment).thenComparingInt(Position::index);

    /** The first position of any ledger. */
    public static final Position START = new Position(1, 0);

    /** Rejects negative numbers. */
    public Position {
        if (segment < 1 || index < 0) {
            throw new IllegalArgumentException("positions start at segment 1, index 0; not " + segment + "/" + index);
        }
    }

    /**
     * The first position of segment {@code segment}. After reading a segment to its end, the
     * position to keep (or to {@link Ledger#truncateBefore truncate before}) is the start of the
     * next one: segments are immutable, so nothing more ever comes in the one just read.
     */
    public static Position startOf(long segment) {
        return new Position(segment, 0);
    }

    @Override
    public int compareTo(Position o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return segment + "/" + index;
    }
}
