package dev.tenure.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The key rules, segment by segment and byte by byte (the check runs without splitting or encoding short keys). */
class KeysTest {

    private static String problem(String key) {
        BackendException e = assertThrows(BackendException.class, () -> Keys.requireValid(key), key);
        assertEquals(BackendException.Kind.CONFIG, e.kind());
        return e.getMessage();
    }

    @Test
    void segmentsAreCheckedOneByOne() {
        for (String ok : new String[] {"a", "a/b", "ledgers/x/seg/0000000000000000001", "a/..b", "..a/b", "a/.../b", ".a", "a.", "a/b."}) {
            assertEquals(ok, Keys.requireValid(ok));
        }
        for (String bad : new String[] {"a//b", "a/", "a/b/"}) {
            assertTrue(problem(bad).contains("has an empty segment"), bad);
        }
        for (String bad : new String[] {".", "a/.", "a/./b", "./a"}) {
            assertTrue(problem(bad).contains("has a '.' segment"), bad);
        }
        for (String bad : new String[] {"..", "a/..", "a/../b", "../a"}) {
            assertTrue(problem(bad).contains("has a '..' segment"), bad);
        }
        assertTrue(problem("/a").contains("starts with '/'"));
        assertTrue(problem("").contains("empty"));
    }

    @Test
    void theLengthIsCountedInUtf8Bytes() {
        assertEquals(1024, Keys.requireValid("k".repeat(1024)).length());
        assertTrue(problem("k".repeat(1025)).contains("longer than 1024 UTF-8 bytes"));
        Keys.requireValid("é".repeat(512)); // 1,024 bytes in 512 chars
        assertTrue(problem("é".repeat(513)).contains("longer than 1024 UTF-8 bytes"), "1,026 bytes in 513 chars");
        assertTrue(problem("€".repeat(342)).contains("longer than 1024 UTF-8 bytes"), "1,026 bytes in 342 chars");
        Keys.requireValid("€".repeat(341)); // 1,023 bytes
    }
}
