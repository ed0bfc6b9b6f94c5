package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The log line built by hand is the formatter's, character for character (the history digests hash these lines). */
class RecorderLineTest {

    @Test
    void sameAsTheFormatter() {
        long[] edges = {0, 1, 999, 1_000, 999_999, 1_000_000, 59_999_999_999L, 60_000_000_000L, 1_000_000_000L, 1_000_001_000L,
            123_456_789_012L, Long.MAX_VALUE, -1, -1_000, -1_500_000_000L};
        for (long at : edges) {
            assertEquals(String.format("%d.%06d %s %s", at / 1_000_000_000L, (at / 1000) % 1_000_000, "n1.0", "x"),
                    Recorder.line(at, "n1.0", "x"), "at " + at);
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 100_000; i++) {
            long at = random.nextLong(0, 86_400_000_000_000L);
            assertEquals(String.format("%d.%06d %s %s", at / 1_000_000_000L, (at / 1000) % 1_000_000, "h", "what " + i),
                    Recorder.line(at, "h", "what " + i), "at " + at);
        }
    }
}
