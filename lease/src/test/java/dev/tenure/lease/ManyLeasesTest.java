package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.protocol.LeaseRecordCodec;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.testing.VirtualTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One manager, one protocol thread, 10,000 leases: every one is renewed every interval, by one
 * write and no read, and all are released on close. In virtual time, so the claim does not depend
 * on how busy the machine is; how late renewals run in real time is measured by
 * {@code tenure bench --leases}, not asserted here.
 */
class ManyLeasesTest {

    @Test
    void oneDriverThreadKeepsTenThousandLeasesRenewed() throws Exception {
        CountingBackend store = new CountingBackend(new InMemoryBackend());
        try (VirtualTime time = new VirtualTime();
                LeaseManager manager = time.drive(LeaseManager.builder(store, "busy-node"))
                        .ttl(Duration.ofSeconds(6)).renewInterval(Duration.ofSeconds(1)).safetyMargin(Duration.ofSeconds(1))
                        .requestTimeout(Duration.ofSeconds(2)).build()) {
            List<Lease> leases = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                leases.add(manager.tryAcquire("lease-" + i).orElseThrow());
            }
            store.reset();
            time.advance(Duration.ofMillis(2500));
            long valid = leases.stream().filter(Lease::isValid).count();
            int renewals = store.writes.get();
            System.out.printf("[lease] 10,000 leases on one protocol thread: %d valid after 2.5 s (virtual), %d renewals, %d reads%n",
                    valid, renewals, store.reads.get());
            assertEquals(10_000, valid);
            assertEquals(20_000, renewals, "each lease renews once a second, by one write");
            assertEquals(0, store.reads.get(), "renewals never read");
            long minRemaining = leases.stream().mapToLong(l -> l.validUntilNanos() - time.nanoTime()).min().orElseThrow();
            assertTrue(minRemaining > TimeUnit.SECONDS.toNanos(2), "every lease was renewed recently: " + minRemaining);
        }
        long released = store.delegate().list("leases/").stream()
                .filter(k -> LeaseRecordCodec.decode(k, store.delegate().read(k).orElseThrow().value()).released()).count();
        assertEquals(10_000, released, "closing the manager releases every lease, all at once");
    }
}
