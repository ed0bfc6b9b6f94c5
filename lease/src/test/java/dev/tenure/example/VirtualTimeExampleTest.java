package dev.tenure.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.LeaderElection;
import dev.tenure.lease.LeaderListener;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.RevocationReason;
import dev.tenure.lease.testing.VirtualTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The example of the adoption docs, as a user writes it: public API only (this package is not
 * Tenure's), an election tested in virtual time, failover included.
 */
class VirtualTimeExampleTest {

    private final List<String> events = new CopyOnWriteArrayList<>();

    private LeaderListener listener(String who) {
        return new LeaderListener() {
            @Override
            public void onElected(FencingToken token) {
                events.add(who + " elected " + token.epoch());
            }

            @Override
            public void onRevoked(RevocationReason reason) {
                events.add(who + " revoked " + reason);
            }
        };
    }

    // Repeated: a callback thread that virtual time did not wait for failed 25 of 150 runs on a busy machine.
    @org.junit.jupiter.api.RepeatedTest(20)
    void exactlyOneReplicaLeadsAndTheOtherTakesOver() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        try (VirtualTime time = new VirtualTime();
                LeaseManager a = time.drive(LeaseManager.builder(store, "a")).build();
                LeaseManager b = time.drive(LeaseManager.builder(store, "b")).build();
                LeaderElection ea = a.elect("writer", listener("a"));
                LeaderElection eb = b.elect("writer", listener("b"))) {
            time.advance(Duration.ofSeconds(30));
            assertNotEquals(ea.isLeader(), eb.isLeader(), events.toString());
            LeaseManager leader = ea.isLeader() ? a : b;
            LeaderElection follower = ea.isLeader() ? eb : ea;
            leader.close();
            time.advance(Duration.ofSeconds(30));
            assertTrue(follower.isLeader(), events.toString() + " store: " + store.read("leases/writer").map(v -> new String(v.value())).orElse("none")
                    + " follower failure " + follower.failure() + " leader " + follower.leader());
            assertEquals(2, follower.token().orElseThrow().epoch(), "the new leader fences with the next epoch");
        }
    }
}
