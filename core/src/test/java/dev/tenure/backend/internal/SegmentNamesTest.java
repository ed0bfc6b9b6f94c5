package dev.tenure.backend.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SegmentNamesTest {

    @Test
    void keysAndNamesMapBothWaysAndDirectoriesNeverLookLikeObjects() {
        for (String segment : List.of("plain", "with space", "a.obj", "x.obj.obj", ".hidden", "per%cent", "\u00e9t\u00e9", "tilde~")) {
            String dir = SegmentNames.directory(segment);
            String obj = SegmentNames.object(segment);
            assertFalse(dir.endsWith(SegmentNames.SUFFIX), dir);
            assertTrue(obj.endsWith(SegmentNames.SUFFIX), obj);
            assertFalse(dir.startsWith("."), dir);
            assertTrue(dir.matches("[A-Za-z0-9._%-]+"), dir);
            assertEquals(segment, SegmentNames.fromDirectory(dir), dir);
            assertEquals(segment, SegmentNames.fromObject(obj), obj);
            assertNull(SegmentNames.fromObject(dir), dir);
        }
        assertNull(SegmentNames.fromDirectory("not%2"));
        assertNull(SegmentNames.fromDirectory("has space"));
        assertNull(SegmentNames.fromObject(".obj.obj"));
    }
}
