package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SeededRandomTest {

    @Test
    void managersStartedTogetherDrawDistinctNonces() {
        // Nonces resolve ambiguous writes between holders: two processes must never draw the same ones.
        Set<Long> seen = new HashSet<>();
        int drawn = 0;
        for (int manager = 0; manager < 100; manager++) {
            SeededRandom random = new SeededRandom(new SecureRandom());
            for (int i = 0; i < 1_000; i++) {
                seen.add(random.nextLong());
                drawn++;
            }
        }
        assertEquals(drawn, seen.size());
    }
}
