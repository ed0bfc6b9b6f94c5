package dev.tenure.lease;

import dev.tenure.lease.testing.VirtualTime;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tenure.lease.protocol.LeaseRecord;
import dev.tenure.lease.protocol.LeaseRecordCodec;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.retry.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * What the tests of a lease caught in the middle of a request share: managers on one store in
 * virtual time ({@link VirtualTime}), with every request passing a {@link GatedBackend} that the
 * test can hold shut, a {@link CountingBackend} behind it, and threads to call the blocking API from.
 */
abstract class GatedLeaseTest {

    static final Duration REQUEST_TIMEOUT = Duration.ofMillis(100);

    final InMemoryBackend store = new InMemoryBackend();
    final CountingBackend counting = new CountingBackend(store);
    final GatedBackend gated = new GatedBackend(counting);
    final VirtualTime time = new VirtualTime();
    final ExecutorService callers = Executors.newCachedThreadPool();
    private final List<LeaseManager> managers = new ArrayList<>();

    GatedLeaseTest() {
        time.notWaitingFor(gated::held);
    }

    /** A manager for {@code holder} with a 10 s TTL, renewing every 3 s, on virtual time. */
    LeaseManager manager(String holder) {
        LeaseManager m = LeaseManager.builder(gated, holder)
                .ttl(Duration.ofSeconds(10))
                .renewInterval(Duration.ofSeconds(3))
                .safetyMargin(Duration.ofSeconds(1))
                .skewMargin(Duration.ofMillis(500))
                .requestTimeout(REQUEST_TIMEOUT)
                .retryPolicy(RetryPolicy.tests())
                .clock(time)
                .scheduler(time)
                .ioExecutor(time.io())
                .random(new SplittableRandom(holder.hashCode()))
                .build();
        managers.add(m);
        return m;
    }

    @AfterEach
    void closeAll() {
        gated.openAll();
        managers.forEach(LeaseManager::close);
        time.close();
        callers.shutdownNow();
    }

    /** The lease record named "writer" as stored, if any. */
    Optional<LeaseRecord> stored() {
        return store.read("leases/writer").map(v -> LeaseRecordCodec.decode("leases/writer", v.value()));
    }

    static <T> T result(Future<T> call) throws Exception {
        return call.get(10, TimeUnit.SECONDS);
    }

    static Throwable failure(Future<?> call) {
        return assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS)).getCause();
    }

    /** A listener that puts "elected name@epoch" and "revoked REASON" on {@code events}. */
    static LeaderListener recording(BlockingQueue<String> events) {
        return new LeaderListener() {
            @Override
            public void onElected(FencingToken token) {
                events.add("elected " + token);
            }

            @Override
            public void onRevoked(RevocationReason reason) {
                events.add("revoked " + reason);
            }
        };
    }
}
