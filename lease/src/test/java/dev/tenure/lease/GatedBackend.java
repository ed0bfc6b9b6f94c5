package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds the next release write (a record with {@code released=true}) at the store's door until
 * the test opens the gate: the write is then in flight for as long as the test likes, and reaches
 * the store when it says so. Every other call passes straight through.
 */
final class GatedBackend extends ForwardingAtomicBackend {

    /** One held write: {@link #awaitArrived()} until it is at the door, then {@link #open()} to let it through. */
    static final class Gate {
        private final CountDownLatch arrived = new CountDownLatch(1);
        private final CountDownLatch open = new CountDownLatch(1);
        private final CountDownLatch landed = new CountDownLatch(1);

        void awaitArrived() throws InterruptedException {
            assertTrue(arrived.await(10, TimeUnit.SECONDS), "no release write reached the store");
        }

        /** Waits until the store has answered the held write (applied or refused). */
        void awaitLanded() throws InterruptedException {
            assertTrue(landed.await(10, TimeUnit.SECONDS), "the held release write never reached the store");
        }

        void open() {
            open.countDown();
        }

        /** True while a write waits at this gate. */
        boolean holding() {
            return arrived.getCount() == 0 && open.getCount() == 1;
        }
    }

    private volatile Gate next;
    private volatile Gate last;

    GatedBackend(AtomicRemoteBackend store) {
        super(store);
    }

    /** Holds the next release write until the returned gate opens. */
    Gate holdNextRelease() {
        Gate gate = new Gate();
        next = gate;
        last = gate;
        return gate;
    }

    /** How many writes wait at a gate now (0 or 1). */
    int held() {
        Gate gate = last;
        return gate != null && gate.holding() ? 1 : 0;
    }

    /** Opens any gate still closed (so that closing the managers never waits on one). */
    void openAll() {
        Gate gate = last;
        if (gate != null) {
            gate.open();
        }
    }

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        Gate gate = next;
        if (gate != null && LeaseRecordCodec.decode(key, bytes).released()) {
            next = null;
            gate.arrived.countDown();
            try {
                gate.open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw BackendException.transport(key, true, "interrupted while held at the gate", e);
            }
            try {
                return super.put(key, bytes, condition);
            } finally {
                gate.landed.countDown();
            }
        }
        return super.put(key, bytes, condition);
    }
}
