package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tenure.ledger.protocol.LedgerWriterMachine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReviewSlotReuseTest {

    /**
     * Batch "a" lands at 2 (answer lost); a reader reads a@2; retention cuts before 3 and deletes 2;
     * a deposed writer's late write (epoch 1) lands in the emptied slot 2; the writer's read-back of 2
     * sees that, jumps past 3 (a deposed writer's epoch-1 segment) to 4, writes "a" again and
     * acknowledges it at 4 (checkpoint low 3 <= 4): one reader reads a@2 and a@4.
     */
    @Test
    void jumpAfterReadBackOfAReusedSlotIsAcknowledgedAtAnotherPosition() {
        WriterRig rig = new WriterRig(LedgerWriterMachineTest.OPTIONS);
        WriterRig.Node w = rig.fenced(2, "w");
        w.open();
        w.settle();
        assertEquals(1L, w.fence);
        long a = w.append("a");
        LedgerWriterMachine.Command put = w.hold(WriterRig.putAt(2));
        w.deliver(put, true); // applied; the machine hears an ambiguous error and queues a read-back of 2

        rig.land(3, 1, "old", "y"); // a deposed writer's late write above it (skipped by the epoch rule)
        Ledger ledger = Ledger.open(rig.store, WriterRig.LEDGER, rig.options);
        Iterator<LedgerEntry> reader = ledger.read(ledger.firstPosition());
        List<String> seen = new ArrayList<>();
        LedgerEntry e = reader.next();
        seen.add(new String(e.data(), StandardCharsets.UTF_8) + "@" + e.position().segment());
        assertFalse(reader.hasNext());

        Ledger.open(rig.store, WriterRig.LEDGER, rig.options).truncateBefore(Position.startOf(3));
        rig.land(2, 1, "old", "x"); // late write into the emptied slot
        w.settle();

        reader = ledger.read(Position.startOf(3)); // the same consumer resumes after what it read (cut at 3)
        while (reader.hasNext()) {
            e = reader.next();
            seen.add(new String(e.data(), StandardCharsets.UTF_8) + "@" + e.position().segment());
        }
        System.out.println("acked=" + w.acked + " failed=" + w.failed + " seen=" + seen + " fresh reader=" + rig.read());
        // The promises: the append is read once, at one position; it is acknowledged only there, and
        // since retention cut that slot before the writer could confirm it, its outcome is unknown.
        assertEquals(List.of("a@2"), seen, "one reader read " + seen);
        assertEquals(null, w.acked.get(a));
        assertTrue(w.failed.get(a) instanceof LedgerException.OutcomeUnknown, String.valueOf(w.failed));
    }

    /** Same: once the writer moved the batch and a newer writer took its new slot, it was failed as Fenced although a reader read it. */
    @Test
    void jumpAfterReadBackOfAReusedSlotFailsDefinitelyWhatAReaderRead() {
        WriterRig rig = new WriterRig(LedgerWriterMachineTest.OPTIONS);
        WriterRig.Node w = rig.fenced(2, "w");
        w.open();
        w.settle();
        long a = w.append("a");
        w.deliver(w.hold(WriterRig.putAt(2)), true);
        rig.land(3, 1, "old", "y");
        Ledger ledger = Ledger.open(rig.store, WriterRig.LEDGER, rig.options);
        Iterator<LedgerEntry> reader = ledger.read(ledger.firstPosition());
        LedgerEntry e = reader.next();
        assertEquals("a@2", new String(e.data(), StandardCharsets.UTF_8) + "@" + e.position().segment());
        Ledger.open(rig.store, WriterRig.LEDGER, rig.options).truncateBefore(Position.startOf(3));
        rig.land(2, 1, "old", "x");
        w.settle(); // read-back of 2 sees x: before moving on, the checkpoint says slot 2 was cut
        assertTrue(w.pending.stream().noneMatch(WriterRig.putAt(4)) && w.writes == 3, "the batch is not written a second time: "
                + w.writes + " writes");
        assertFalse(w.failed.get(a) instanceof LedgerException.Fenced, "definite Fenced for an append a reader read at 2: " + w.failed.get(a));
        assertTrue(w.failed.get(a) instanceof LedgerException.OutcomeUnknown, String.valueOf(w.failed));
    }
}
