package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.metrics.MicrometerObserver;
import dev.tenure.retry.RetryPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A ledger writer's meters, through a fence: appends, batches, pending appends and the fenced writer. */
class LedgerObservabilityTest {

    @Test
    void appendsBatchesPendingAndFencedWritersAreCounted() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LedgerOptions options = new LedgerOptions(4, 1 << 20, Duration.ZERO, 1, 10_000, 16, RetryPolicy.tests())
                .withObserver(new MicrometerObserver(registry));
        Ledger ledger = Ledger.open(new InMemoryBackend(), "log", options);
        LedgerWriter old = ledger.manualWriter(new FencingToken("writer", 1), "old");
        List<CompletableFuture<Position>> appended = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            appended.add(old.append(("entry-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        assertEquals(10.0, registry.get("tenure.ledger.pending").tag("ledger", "log").gauge().value(), "queued, not yet written");
        old.pump();
        for (CompletableFuture<Position> f : appended) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertEquals(0.0, registry.get("tenure.ledger.pending").tag("ledger", "log").gauge().value());
        assertEquals(10, registry.get("tenure.ledger.appends").tag("ledger", "log").tag("outcome", "acknowledged").timer().count());
        // At most 4 entries per segment: 4 + 4 + 2.
        assertEquals(3, registry.get("tenure.ledger.batch.entries").tag("ledger", "log").summary().count());
        assertEquals(10.0, registry.get("tenure.ledger.batch.entries").tag("ledger", "log").summary().totalAmount());
        assertEquals(4.0, registry.get("tenure.ledger.batch.entries").tag("ledger", "log").summary().max());
        assertEquals(70.0, registry.get("tenure.ledger.batch.bytes").tag("ledger", "log").summary().totalAmount());

        try (LedgerWriter newer = ledger.manualWriter(new FencingToken("writer", 2), "new")) {
            CompletableFuture<Position> late = old.append("late".getBytes(StandardCharsets.UTF_8));
            old.pump();
            ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS));
            assertInstanceOf(LedgerException.Fenced.class, e.getCause());
        }
        assertEquals(1.0, registry.get("tenure.ledger.writers.fenced").tag("ledger", "log").counter().count());
        assertEquals(1, registry.get("tenure.ledger.appends").tag("ledger", "log").tag("outcome", "failed").timer().count());
        assertEquals(0.0, registry.get("tenure.ledger.pending").tag("ledger", "log").gauge().value());
    }
}
