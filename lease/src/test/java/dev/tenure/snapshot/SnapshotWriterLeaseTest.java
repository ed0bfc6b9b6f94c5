package dev.tenure.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.Lease;
import dev.tenure.lease.LeaseLossFixture;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.testing.VirtualTime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A snapshot writer bound to a lease closes itself when the lease ends (issue 13); the lease runs in virtual time. */
class SnapshotWriterLeaseTest {

    @TempDir
    Path dir;

    /** Runs {@link #duringUpload} once, while the first content upload is under way. */
    static final class Hooked extends ForwardingAtomicBackend {
        volatile Runnable duringUpload;

        Hooked(AtomicRemoteBackend store) {
            super(store);
        }

        @Override
        public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
            Runnable hook = duringUpload;
            if (hook != null && key.contains("/data/")) {
                duringUpload = null;
                hook.run();
            }
            return super.uploadConditional(localPath, key, condition);
        }
    }

    final InMemoryBackend store = new InMemoryBackend();
    final Hooked hooked = new Hooked(store);
    final VirtualTime time = new VirtualTime();
    final LeaseManager manager = LeaseLossFixture.manager(time, store, "a");

    @AfterEach
    void close() {
        manager.close();
        time.close();
    }

    @Test
    void aFlushAfterTheLeaseEndedFailsClosedAndOneUnderWayStopsBeforeItsManifestWrite() throws Exception {
        SnapshotStore snapshots = SnapshotStore.open(hooked, "db", Fixtures.OPTIONS);
        Path file = dir.resolve("db.sqlite");
        Files.write(file, "v1".getBytes(StandardCharsets.UTF_8));
        Lease lease = manager.acquire("writer", Duration.ofSeconds(5));
        SnapshotWriter writer = snapshots.writer(lease, "replica-1", file);
        assertEquals(1, writer.flush().generation());
        Files.write(file, "v2".getBytes(StandardCharsets.UTF_8));
        // The lease ends while the content of the next flush is being uploaded.
        hooked.duringUpload = () -> {
            try {
                lease.releaseAsync();
                lease.whenLost().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        SnapshotException.Closed closed = assertThrows(SnapshotException.Closed.class, writer::flush);
        assertTrue(closed.getMessage().contains("RELEASED"), closed.getMessage());
        assertEquals(1, snapshots.latest().orElseThrow().generation(), "the manifest write was never sent");
        assertEquals(1, store.list("snapshots/db/data/").size(), "the content uploaded for nothing was removed");
        assertThrows(SnapshotException.Closed.class, writer::flush);
    }

    @Test
    void bindingToAnotherLeaseIsRefused() throws Exception {
        SnapshotStore snapshots = SnapshotStore.open(store, "db", Fixtures.OPTIONS);
        Lease lease = manager.acquire("writer", Duration.ofSeconds(5));
        SnapshotWriter writer = snapshots.writer(new FencingToken("writer", 9), "replica-1", dir.resolve("x"));
        assertThrows(IllegalArgumentException.class, () -> writer.closeWhenLost(lease));
    }
}
