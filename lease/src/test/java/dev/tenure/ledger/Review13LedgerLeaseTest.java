package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.Lease;
import dev.tenure.lease.LeaseLossFixture;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.testing.VirtualTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Review of issue 13: a ledger writer bound to a lease that has already ended. */
class Review13LedgerLeaseTest {

    final InMemoryBackend store = new InMemoryBackend();
    final List<String> ledgerWrites = new CopyOnWriteArrayList<>();
    final ForwardingAtomicBackend counting = new ForwardingAtomicBackend(store) {
        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            if (!key.startsWith("leases/")) {
                ledgerWrites.add(key);
            }
            return super.put(key, bytes, condition);
        }
    };
    final VirtualTime time = new VirtualTime();
    final LeaseManager manager = LeaseLossFixture.manager(time, store, "a");

    @AfterEach
    void close() {
        manager.close();
        time.close();
    }

    /**
     * docs/leases.md: the writer "checks the lease itself, not only the callback" and "no segment is
     * sent after that moment". Ledger.writer(lease, id) with a lease that has already ended still
     * writes its fence segment to the store at the dead lease's epoch, and returns a writer.
     */
    @Test
    void aWriterOpenedWithALeaseAlreadyLostWritesNothing() throws Exception {
        Lease lease = manager.tryAcquire("orders").orElseThrow();
        lease.release();
        time.settle();
        assertFalse(lease.isValid());
        Ledger ledger = Ledger.open(counting, "orders", LedgerOptions.defaults());
        try {
            ledger.writer(lease, "w1").close();
        } catch (RuntimeException refused) {
            // refusing to open is the right answer
        }
        assertEquals(List.of(), ledgerWrites, "segments written for a lease that had already ended");
    }
}
