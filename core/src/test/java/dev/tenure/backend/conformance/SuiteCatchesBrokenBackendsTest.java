package dev.tenure.backend.conformance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.probe.ContentionRaces;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The races must be able to fail: a backend that checks its condition and then writes in a
 * separate step (what the lighter S3 emulators do) is caught by both of them.
 */
class SuiteCatchesBrokenBackendsTest {

    /** Checks the condition, yields, then writes unconditionally: a compare-and-swap that is not atomic. */
    static final class CheckThenWriteBackend implements AtomicRemoteBackend {
        private final InMemoryBackend store = new InMemoryBackend("check-then-write");

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            Optional<ObjectVersion> current = store.objectVersion(key);
            boolean holds = condition instanceof ConditionalPut.IfAbsent
                    ? current.isEmpty()
                    : current.equals(Optional.of(((ConditionalPut.IfVersion) condition).version()));
            if (!holds) {
                throw BackendException.preconditionFailed(key, "condition failed");
            }
            Thread.yield();
            try {
                return store.put(key, bytes, ConditionalPut.ifVersion(store.objectVersion(key).orElseThrow()));
            } catch (RuntimeException absent) {
                return store.put(key, bytes, ConditionalPut.ifAbsent());
            }
        }

        @Override
        public String name() {
            return store.name();
        }

        @Override
        public Optional<ObjectVersion> objectVersion(String key) {
            return store.objectVersion(key);
        }

        @Override
        public Optional<Versioned<byte[]>> read(String key) {
            return store.read(key);
        }

        @Override
        public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void deleteConditional(String key, ConditionalDelete condition) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean download(String key, Path localPath) {
            return store.download(key, localPath);
        }

        @Override
        public void upload(Path localPath, String key) {
            store.upload(localPath, key);
        }

        @Override
        public boolean exists(String key) {
            return store.exists(key);
        }

        @Override
        public void delete(String key) {
            store.delete(key);
        }

        @Override
        public List<String> list(String prefix) {
            return store.list(prefix);
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
