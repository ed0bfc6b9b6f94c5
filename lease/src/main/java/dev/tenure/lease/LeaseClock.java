package dev.tenure.lease;

/**
 * Time as the lease protocol sees it. Expiry is judged only on {@link #nanoTime()}, a monotonic
 * clock local to this process; {@link #wallMillis()} is written into records for people to read
 * and is never compared across machines.
 */
public interface LeaseClock {

    /** Monotonic nanoseconds; only differences mean anything. */
    long nanoTime();

    /** Wall-clock milliseconds since the epoch, for information only. */
    long wallMillis();

    /** The system clocks. */
    static LeaseClock system() {
        return SystemClock.INSTANCE;
    }

    /** {@link System#nanoTime()} and {@link System#currentTimeMillis()}. */
    enum SystemClock implements LeaseClock {
        /** The single instance. */
        INSTANCE;

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }
    }
}
