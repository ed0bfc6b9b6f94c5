package dev.tenure.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.metrics.MicrometerObserver;
import dev.tenure.metrics.RecordingLogger;
import dev.tenure.metrics.internal.SnapshotEvents;
import dev.tenure.retry.RetryPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/** Each push and pull is one log line and one sample of the snapshot meters, with its size. */
class SnapshotObservabilityTest {

    @TempDir
    Path dir;

    @Test
    void pushesAndPullsAreLoggedAndMeasured() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SnapshotStore store = SnapshotStore.open(new InMemoryBackend(), "db",
                SnapshotOptions.defaults().withRetry(RetryPolicy.tests()).withObserver(new MicrometerObserver(registry)));
        RecordingLogger log = new RecordingLogger("snapshot", Level.INFO);
        store.remote.events = new SnapshotEvents("db", store.remote.options.observer(), log);
        Path writerFile = dir.resolve("w.db");
        try (SnapshotWriter writer = store.writer(new FencingToken("db", 1), "replica-1", writerFile)) {
            Files.write(writerFile, new byte[1000]);
            writer.flush();
            Files.write(writerFile, new byte[3000]);
            writer.flush();
        }
        store.reader(dir.resolve("r.db"));
        assertEquals(2, registry.get("tenure.snapshot.push").tag("snapshot", "db").timer().count());
        assertEquals(4000.0, registry.get("tenure.snapshot.push.bytes").tag("snapshot", "db").summary().totalAmount());
        assertEquals(1, registry.get("tenure.snapshot.pull").tag("snapshot", "db").timer().count());
        assertEquals(3000.0, registry.get("tenure.snapshot.pull.bytes").tag("snapshot", "db").summary().totalAmount());
        assertEquals(1, log.find(Level.INFO, "snapshot db: pushed generation 1 by replica-1 at epoch 1: 1000 bytes in ").size(), log.toString());
        assertEquals(1, log.find(Level.INFO, "snapshot db: pushed generation 2 by replica-1 at epoch 1: 3000 bytes in ").size(), log.toString());
        assertEquals(1, log.find(Level.INFO, "snapshot db: pulled generation 2: 3000 bytes in ").size(), log.toString());
    }
}
