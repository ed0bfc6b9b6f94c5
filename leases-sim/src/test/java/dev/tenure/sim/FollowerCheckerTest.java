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

        // Another entry where one was acknowledged, and an entry never acknowledged delivered twice: each is caught.
        SimFollowers wrong = new SimFollowers(store, "orders", LedgerOptions.defaults(), Optional.empty(), 1, 1);
        wrong.drain();
        wrong.replaceDelivery(0, 20, "e3");
        List<SimulationResult.Violation> misplaced = wrong.check(acked, Set.of(), finalLog, Position.START);
        assertEquals(1, misplaced.size(), misplaced.toString());
        assertTrue(misplaced.get(0).detail().contains("delivered e3 at " + acked.get("e20") + ", but e20 was acknowledged there"),
                misplaced.toString());
        Map<String, Position> someUnknown = new HashMap<>(acked);
        someUnknown.remove("e5");
        someUnknown.remove("e20"); // outcomes unknown: the log may hold them, once each
        List<SimulationResult.Violation> twice = wrong.check(someUnknown, Set.of(), finalLog, Position.START);
        assertEquals(1, twice.size(), twice.toString());
        wrong.replaceDelivery(0, 20, "e5");
        twice = wrong.check(someUnknown, Set.of(), finalLog, Position.START);
        assertTrue(twice.size() == 1 && twice.get(0).detail().contains("delivered e5 twice"), twice.toString());
        wrong.replaceDelivery(0, 20, "e20");
        assertEquals(List.of(), wrong.check(someUnknown, Set.of(), finalLog, Position.START));
        Map<Position, String> otherLog = new HashMap<>(finalLog);
        otherLog.put(acked.get("e9"), "e9-rewritten");
        List<SimulationResult.Violation> rewritten = wrong.check(someUnknown, Set.of(), otherLog, Position.START);
        assertTrue(rewritten.size() == 1 && rewritten.get(0).detail().contains("where a reader reads e9-rewritten"), rewritten.toString());

        // Failed as not written, and delivered: caught whether or not the entry was also acknowledged.
        List<SimulationResult.Violation> failedAcked = wrong.check(acked, Set.of("e7"), finalLog, Position.START);
        assertTrue(failedAcked.size() == 1 && failedAcked.get(0).detail().contains("delivered e7, which was failed as not written"),
                failedAcked.toString());
        List<SimulationResult.Violation> failedUnknown = wrong.check(someUnknown, Set.of("e5"), finalLog, Position.START);
        assertTrue(failedUnknown.size() == 1 && failedUnknown.get(0).detail().contains("delivered e5, which was failed as not written"),
                failedUnknown.toString());

        followers.forgetDelivery(1, 12);
        List<SimulationResult.Violation> found = followers.check(acked, Set.of(), finalLog, Position.START);
        assertEquals(1, found.size(), found.toString());
        assertTrue(found.get(0).detail().contains("follower-2: acknowledged e12") && found.get(0).detail().contains("never delivered"),
                found.toString());
    }
}
