package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.protocol.LeaseRecordCodec;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds the next release write (a record with {@code released=true}), the next acquire or renew
 * write (one with {@code released=false}) or the next read at the store's door until the test
 * opens the gate: the call is then in flight for as long as the test likes, and reaches the store
 * when it says so. Every other call passes straight through.
 */
final class GatedBackend extends ForwardingAtomicBackend {

    /** One held write: {@link #awaitArrived()} until it is at the door, then {@link #open()} to let it through. */
    static final class Gate {
        private final CountDownLatch arrived = new CountDownLatch(1);
        private final CountDownLatch open = new CountDownLatch(1);
        private final CountDownLatch landed = new CountDownLatch(1);

        void awaitArrived() throws InterruptedException {
            assertTrue(arrived.await(10, TimeUnit.SECONDS), "no held call reached the store");
        }

        /** Waits until the store has answered the held write (applied or refused). */
        void awaitLanded() throws InterruptedException {
            assertTrue(landed.await(10, TimeUnit.SECONDS), "the held call never reached the store");
        }

        void open() {
            open.countDown();
        }

        /** True while a write waits at this gate. */
        boolean holding() {
            return arrived.getCount() == 0 && open.getCount() == 1;
        }
    }

    private enum Kind { RELEASE, WRITE, READ }

    private volatile Gate next;
    private volatile Kind nextKind;
    private volatile Gate last;

    GatedBackend(AtomicRemoteBackend store) {
        super(store);
    }

    /** Holds the next release write until the returned gate opens. */
    Gate holdNextRelease() {
        return hold(Kind.RELEASE);
    }

    /** Holds the next write of a record that is not released (an acquisition or a renewal) until the returned gate opens. */
    Gate holdNextWrite() {
        return hold(Kind.WRITE);
    }

    /** Holds the next read until the returned gate opens. */
    Gate holdNextRead() {
        return hold(Kind.READ);
    }

    private Gate hold(Kind kind) {
        Gate gate = new Gate();
        nextKind = kind;
        next = gate;
        last = gate;
        return gate;
    }

    /** Takes the gate for a call of {@code kind}, if one waits for it. */
    private synchronized Gate take(Kind kind) {
        Gate gate = next;
        if (gate == null || nextKind != kind) {
            return null;
        }
        next = null;
        return gate;
    }

    private static void pass(Gate gate, String key) {
        gate.arrived.countDown();
        try {
            gate.open.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw BackendException.transport(key, true, "interrupted while held at the gate", e);
        }
    }

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        Gate gate = take(Kind.READ);
        if (gate != null) {
            pass(gate, key);
            try {
                return super.read(key);
            } finally {
                gate.landed.countDown();
            }
        }
        return super.read(key);
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
        Gate gate = take(LeaseRecordCodec.decode(key, bytes).released() ? Kind.RELEASE : Kind.WRITE);
        if (gate != null) {
            pass(gate, key);
            try {
                return super.put(key, bytes, condition);
            } finally {
                gate.landed.countDown();
            }
        }
        return super.put(key, bytes, condition);
    }
}
