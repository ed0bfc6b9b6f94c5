package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerOptions;
import dev.tenure.ledger.LedgerWriter;
import dev.tenure.ledger.Position;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The follower-delivery checker itself: silent on a faithful follower, loud when one delivery is missing. */
class FollowerCheckerTest {

    @Test
    void aFollowerThatMissedOneAcknowledgedEntryIsAViolationAndAFaithfulOneIsNot() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        Ledger ledger = Ledger.open(store, "orders", LedgerOptions.defaults());
        Map<String, Position> acked = new HashMap<>();
        try (LedgerWriter writer = ledger.writer(new FencingToken("writer", 1), "w1")) {
            for (int i = 0; i < 30; i++) {
                String entry = "e" + i;
                acked.put(entry, writer.append(entry.getBytes(StandardCharsets.UTF_8)).get());
                if (i % 7 == 0) {
                    writer.flush(); // several segments
                }
            }
        }
        Map<Position, String> finalLog = new HashMap<>();
        ledger.read(Position.START).forEachRemaining(e -> finalLog.put(e.position(), new String(e.data(), StandardCharsets.UTF_8)));
        SimFollowers followers = new SimFollowers(store, "orders", LedgerOptions.defaults(), Optional.empty(), 1, 2);
        followers.drain();
        assertEquals(List.of(), followers.check(acked, Set.of(), finalLog, Position.START), followers.summary());

        followers.forgetDelivery(1, 12);
        List<SimulationResult.Violation> found = followers.check(acked, Set.of(), finalLog, Position.START);
        assertEquals(1, found.size(), found.toString());
        assertTrue(found.get(0).detail().contains("follower-2: acknowledged e12") && found.get(0).detail().contains("never delivered"),
                found.toString());
    }
}
