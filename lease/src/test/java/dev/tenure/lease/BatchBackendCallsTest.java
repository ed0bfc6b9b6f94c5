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
 * The builder's switch decides how backend calls reach the I/O executor, whatever the scheduler:
 * batch runners by default, each call its own task when turned off (as {@link VirtualTime#drive}
 * does, for tests that hold particular calls at the executor).
 */
class BatchBackendCallsTest {

    @Test
    void virtualTimeHandsOverEveryCallItself() throws Exception {
        List<String> handedOver = run(false);
        assertTrue(handedOver.size() >= 3, "a read, a write and renewals: " + handedOver);
        assertFalse(handedOver.stream().anyMatch(name -> name.contains("IoBatch")), "no batch runner: " + handedOver);
    }

    @Test
    void batchingIsOnForAnySchedulerWhenAskedFor() throws Exception {
        List<String> handedOver = run(true);
        assertFalse(handedOver.isEmpty());
        assertTrue(handedOver.stream().allMatch(name -> name.contains("IoBatch")), "only batch runners: " + handedOver);
    }

    private static List<String> run(boolean batch) throws Exception {
        try (VirtualTime time = new VirtualTime()) {
            List<String> handedOver = new CopyOnWriteArrayList<>();
            Executor io = time.io();
            Executor recording = task -> {
                handedOver.add(task.getClass().getName());
                io.execute(task);
            };
            LeaseManager.Builder builder = time.drive(LeaseManager.builder(new InMemoryBackend(), "a"))
                    .ttl(Duration.ofSeconds(6)).renewInterval(Duration.ofSeconds(1)).ioExecutor(recording);
            if (batch) {
                builder.batchBackendCalls(true);
            }
            try (LeaseManager manager = builder.build()) {
                var lease = manager.acquireAsync("x", Duration.ofSeconds(5));
                time.settle();
                assertTrue(lease.isDone(), "acquired in virtual time");
                time.advance(Duration.ofSeconds(3));
                return List.copyOf(handedOver);
            }
        }
    }
}
