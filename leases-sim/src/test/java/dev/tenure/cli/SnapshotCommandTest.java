package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotCommandTest {

    @TempDir
    Path dir;

    @Test
    void pushThenPullRoundTripsAndGenerationsRise() throws Exception {
        String store = "file://" + dir.resolve("store");
        byte[] content = new byte[300_000];
        new Random(7).nextBytes(content);
        Path db = dir.resolve("db.sqlite");
        Files.write(db, content);

        assertEquals(1, CliRun.of("snapshot", "info", store, "orders").status(), "nothing stored yet");
        CliRun first = CliRun.of("snapshot", "push", store, "orders", db.toString());
        assertEquals(0, first.status(), first.out() + first.err());
        assertTrue(first.out().contains("generation 1") && first.out().contains("unfenced"), first.out());
        CliRun fenced = CliRun.of("snapshot", "push", "--lease", "orders-writer", store, "orders", db.toString());
        assertEquals(0, fenced.status(), fenced.out() + fenced.err());
        assertTrue(fenced.out().contains("generation 2, epoch 1") && fenced.out().contains("orders-writer@1"), fenced.out());

        Path replica = dir.resolve("replica/db.sqlite");
        CliRun pull = CliRun.of("snapshot", "pull", store, "orders", replica.toString());
        assertEquals(0, pull.status(), pull.out() + pull.err());
        assertArrayEquals(content, Files.readAllBytes(replica));
        CliRun info = CliRun.of("snapshot", "info", store, "orders");
        assertTrue(info.out().contains("generation 2") && info.out().contains("300000 bytes"), info.out());
    }

    @Test
    void anUnfencedPushAfterAFencedOneIsRefused() throws Exception {
        String store = "file://" + dir.resolve("store");
        Path db = dir.resolve("db");
        Files.writeString(db, "v1");
        assertEquals(0, CliRun.of("snapshot", "push", "--lease", "w", store, "s", db.toString()).status());
        CliRun unfenced = CliRun.of("snapshot", "push", store, "s", db.toString());
        assertEquals(2, unfenced.status(), unfenced.out());
        assertTrue(unfenced.err().contains("tenure: "), unfenced.err());
    }
}
