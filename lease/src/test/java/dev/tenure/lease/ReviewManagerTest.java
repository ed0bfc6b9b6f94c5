package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.protocol.LeaseRecord;
import dev.tenure.lease.protocol.LeaseRecordCodec;
import java.time.Duration;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Found by the adversarial review of the issue 11 lease fixes, through the public API. */
class ReviewManagerTest extends GatedLeaseTest {

    /**
     * A caller waiting in {@code acquire} is interrupted (its task cancelled, its thread told to
     * stop). Nobody will ever get the lease handle: the acquisition must stop, never take the lease
     * and renew it for nobody until the manager closes.
     */
    @Test
    void anInterruptedAcquireNeverTakesTheLeaseForNobody() throws Exception {
        // b crashed holding the lease at epoch 1: its record stays until it expires.
        store.put("leases/writer", LeaseRecordCodec.encode(new LeaseRecord("writer", "b", 1, 1, "b0", 10_000, 0, false)),
                dev.tenure.backend.ConditionalPut.ifAbsent());
        LeaseManager a = manager("a");
        GatedBackend.Gate read = gated.holdNextRead();
        Future<Lease> waiting = callers.submit(() -> a.acquire("writer", Duration.ofSeconds(60)));
        read.awaitArrived(); // a's acquisition is under way; its caller is blocked waiting for it
        waiting.cancel(true); // the caller is interrupted: it returns with InterruptedException
        read.open();
        for (int i = 0; i < 60; i++) {
            time.advance(Duration.ofMillis(500)); // b's record expires after 10.5 s
        }
        LeaseRecord stored = stored().orElseThrow();
        assertFalse(stored.holder().equals("a") && !stored.released(),
                "a took the lease for a caller that gave up, and renews it for nobody: " + stored);
    }
}
