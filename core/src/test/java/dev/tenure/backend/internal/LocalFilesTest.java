package dev.tenure.backend.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 19: a directory sync that fails with EIO was swallowed, so a rename that may not
 * survive a crash was reported durable. Only "this file system does not sync directories" may be.
 */
class LocalFilesTest {

    @TempDir
    Path dir;

    @Test
    void anEioFromSyncingADirectoryIsThrown() {
        IOException e = assertThrows(IOException.class,
                () -> LocalFiles.fsyncDirectory(dir, channel -> {
                    throw new IOException("Input/output error");
                }));
        assertEquals("Input/output error", e.getMessage());
    }

    @Test
    void aFileSystemThatDoesNotSyncDirectoriesIsToleratedAndARealSyncWorks() throws IOException {
        AtomicInteger forced = new AtomicInteger();
        for (String refusal : new String[] {"Invalid argument", "Operation not supported"}) {
            assertDoesNotThrow(() -> LocalFiles.fsyncDirectory(dir, channel -> {
                forced.incrementAndGet();
                throw new IOException(refusal);
            }), refusal);
        }
        assertEquals(2, forced.get(), "the sync was attempted each time");
        LocalFiles.fsyncDirectory(dir);
        assertTrue(LocalFiles.refusesDirectorySync(new IOException("Invalid argument")));
    }

    @Test
    void aPathThatIsNoDirectoryAndCannotBeOpenedIsAnError() {
        assertThrows(IOException.class, () -> LocalFiles.fsyncDirectory(dir.resolve("missing")));
    }
}
