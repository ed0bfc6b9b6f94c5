package dev.tenure.lease.protocol;

/**
 * Arithmetic on monotonic nanoseconds that clamps instead of wrapping. A deadline that overflowed
 * would lie in the past (a contender taking a live lease at once) or far in the future (a call
 * that never returns); clamped, "later than anything" stays later than anything.
 */
public final class Saturating {

    private Saturating() {
    }

    public static long add(long a, long b) {
        long sum = a + b;
        // Overflow only when both operands have the same sign and the sum's sign differs.
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }

    /** {@code millis} in nanoseconds, clamped to the long range. */
    static long millisToNanos(long millis) {
        if (millis > Long.MAX_VALUE / 1_000_000L) {
            return Long.MAX_VALUE;
        }
        if (millis < Long.MIN_VALUE / 1_000_000L) {
            return Long.MIN_VALUE;
        }
        return millis * 1_000_000L;
    }

    /** A duration in nanoseconds, clamped (a {@link java.time.Duration} of 300 years does not fit in a long). */
    public static long nanos(java.time.Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
