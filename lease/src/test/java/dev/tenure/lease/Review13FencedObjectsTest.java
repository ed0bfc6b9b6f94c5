package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Review of issue 13: FencedObjects never reports a definite failure for a write whose outcome is unknown. */
class Review13FencedObjectsTest {

    /** The first PUT is answered ambiguously (it is still on its way); the writer closes (lease lost) before the retry. */
    static final class LostAnswer extends ForwardingAtomicBackend {
        FencedObjects objects;
        String heldKey;
        byte[] heldBytes;
        ConditionalPut heldCondition;

        LostAnswer(InMemoryBackend store) {
            super(store);
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            if (heldKey == null) {
                heldKey = key;
                heldBytes = bytes;
                heldCondition = condition;
                objects.close("lease lost: revoked");
                throw BackendException.transport(key, true, "the answer was lost (timeout after sending)", null);
            }
            return super.put(key, bytes, condition);
        }

        void landLate() {
            super.put(heldKey, heldBytes, heldCondition);
        }
    }

    @Test
    void aWriteSentBeforeCloseWithItsAnswerLostIsOutcomeUnknownNotClosed() {
        InMemoryBackend store = new InMemoryBackend();
        LostAnswer backend = new LostAnswer(store);
        FencedObjects objects = FencedObjects.open(backend, new FencingToken("writer", 3), RetryPolicy.tests(), Duration.ofSeconds(5));
        backend.objects = objects;
        byte[] data = "orders v7".getBytes(StandardCharsets.UTF_8);
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> objects.write("state/orders", data));
        // The request that was sent lands after all (a delayed PUT, as stores do after a timeout).
        backend.landLate();
        assertArrayEquals(data, FencedObjects.read(store, "state/orders").orElseThrow().data(),
                "the write the caller was told about is in the store");
        if (!(thrown instanceof FencedWriteException.OutcomeUnknown)) {
            throw new AssertionError("a write that was sent and whose answer was lost was reported as "
                    + thrown.getClass().getName() + " (" + thrown.getMessage() + "); Closed promises it was never sent", thrown);
        }
    }
}
