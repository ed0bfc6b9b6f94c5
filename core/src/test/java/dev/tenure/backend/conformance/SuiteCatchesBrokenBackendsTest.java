package dev.tenure.backend.conformance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.probe.ContentionRaces;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The races must be able to fail: a backend that checks its condition and then writes in a
 * separate step (what the lighter S3 emulators do) is caught by both of them.
 */
class SuiteCatchesBrokenBackendsTest {

    /** Checks the condition, yields, then writes unconditionally: a compare-and-swap that is not atomic. */
    static final class CheckThenWriteBackend extends ForwardingAtomicBackend {
        CheckThenWriteBackend() {
            super(new InMemoryBackend("check-then-write"));
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            Optional<ObjectVersion> current = delegate.objectVersion(key);
            boolean holds = condition instanceof ConditionalPut.IfAbsent
                    ? current.isEmpty()
                    : current.equals(Optional.of(((ConditionalPut.IfVersion) condition).version()));
            if (!holds) {
                throw BackendException.preconditionFailed(key, "condition failed");
            }
            Thread.yield();
            // Writes over whatever is there now, as if no condition had been given.
            Optional<ObjectVersion> now = delegate.objectVersion(key);
            return delegate.put(key, bytes, now.isPresent() ? ConditionalPut.ifVersion(now.get()) : ConditionalPut.ifAbsent());
        }
    }

    @Test
    void theCreateRaceCatchesANonAtomicBackend() throws Exception {
        ContentionRaces.CreateRaceResult result = ContentionRaces.createRace(new CheckThenWriteBackend(), "race/", 32, 200);
        System.out.printf("[conformance] check-then-write backend, create race: %s%n", result);
        assertFalse(result.roundsWithoutExactlyOneWinner().isEmpty(), "the race should have caught double winners");
    }

    @Test
    void theIncrementRaceCatchesANonAtomicBackend() throws Exception {
        ContentionRaces.IncrementResult result = ContentionRaces.incrementRace(new CheckThenWriteBackend(), "counter", 8, 100);
        System.out.printf("[conformance] check-then-write backend, increment race: %s%n", result);
        assertTrue(result.finalValue() < result.successfulIncrements(), "the race should have caught lost increments");
    }
}
