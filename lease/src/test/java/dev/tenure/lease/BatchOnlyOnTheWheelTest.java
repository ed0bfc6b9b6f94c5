package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.testing.VirtualTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/**
 * Backend calls are batched for the I/O executor only under the production timer wheel. Under any
 * other scheduler (virtual time here) each call is handed over on its own, as before batching: the
 * batch's stall check reads the real clock, which a virtual-time test must not depend on.
 */
class BatchOnlyOnTheWheelTest {

    @Test
    void underVirtualTimeEveryBackendCallIsHandedOverItself() throws Exception {
        try (VirtualTime time = new VirtualTime()) {
            List<String> handedOver = new CopyOnWriteArrayList<>();
            Executor io = time.io();
            Executor recording = task -> {
                handedOver.add(task.getClass().getName());
                io.execute(task);
            };
            try (LeaseManager manager = time.drive(LeaseManager.builder(new InMemoryBackend(), "a"))
                    .ttl(Duration.ofSeconds(6)).renewInterval(Duration.ofSeconds(1)).ioExecutor(recording).build()) {
                var lease = manager.acquireAsync("x", Duration.ofSeconds(5));
                time.settle();
                assertTrue(lease.isDone(), "acquired in virtual time");
                time.advance(Duration.ofSeconds(3));
                assertTrue(handedOver.size() >= 3, "a read, a write and renewals: " + handedOver);
                assertFalse(handedOver.stream().anyMatch(name -> name.contains("IoBatch")),
                        "no batch runner under virtual time: " + handedOver);
            }
        }
    }
}
