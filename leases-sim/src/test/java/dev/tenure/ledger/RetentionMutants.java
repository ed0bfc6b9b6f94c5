package dev.tenure.ledger;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.ledger.protocol.LedgerKeys;
import dev.tenure.ledger.protocol.LedgerWriterMachine;
import dev.tenure.ledger.protocol.Segment;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Test-only access to the ledger's package-private retention switches and segment format, for
 * the simulator's retention tests (which live in another package). Not part of the library.
 */
public final class RetentionMutants {

    /** The retention fixes of issue 11, by item number. */
    public enum Fix {
        /** Item 3: cuts past the readable tail refused; tail discovery re-checks the checkpoint. */
        ITEM_3(RetentionFix.TAIL_RULE),
        /** Item 4: the checkpoint carries the epoch rule across the cut. */
        ITEM_4(RetentionFix.CHECKPOINT_EPOCH),
        /** Item 7: readers behind retention get {@link LedgerException.Truncated}. */
        ITEM_7(RetentionFix.TRUNCATED_ERROR);

        private final RetentionFix fix;

        Fix(RetentionFix fix) {
            this.fix = fix;
        }
    }

    private RetentionMutants() {
    }

    /** Opens the ledger {@code name} with the given fixes switched off. */
    public static Function<AtomicRemoteBackend, Ledger> opener(String name, LedgerOptions options, Fix... off) {
        Set<RetentionFix> disabled = EnumSet.noneOf(RetentionFix.class);
        for (Fix f : off) {
            disabled.add(f.fix);
        }
        return store -> Ledger.open(store, name, options, disabled);
    }

    /**
     * A writer without threads, as {@link Ledger#manualWriter} gives, whose machine skips its own
     * item-3 checks when {@code off} holds {@link Fix#ITEM_3}: the writer re-reads the checkpoint after
     * its fence lands, and confirms every acknowledgement against a checkpoint read after it (which
     * turns an acknowledgement below the checkpoint into an unknown outcome), two guards beside the
     * tail rule, so the mutation switches off all three.
     */
    public static LedgerWriter manualWriter(Ledger ledger, long epoch, String writerId, Fix... off) {
        EnumSet<LedgerWriterMachine.Switch> switches = EnumSet.noneOf(LedgerWriterMachine.Switch.class);
        for (Fix f : off) {
            if (f == Fix.ITEM_3) {
                switches.add(LedgerWriterMachine.Switch.FENCE_BELOW_CHECKPOINT);
                switches.add(LedgerWriterMachine.Switch.DECIDE_WITHOUT_CHECKPOINT);
            }
        }
        return LedgerWriter.manualDriving(ledger, LedgerWriterMachine.mutated(ledger.name(), epoch, writerId, ledger.options(),
                new java.util.SplittableRandom(new java.security.SecureRandom().nextLong()), switches));
    }

    /**
     * Writes a segment as a deposed writer's pipelined write that lands long after its writer
     * died would: at {@code seq}, if still free. Returns whether it landed.
     */
    public static boolean lateSegment(AtomicRemoteBackend store, String name, LedgerOptions options, long seq, long epoch, String writer,
            byte[] entry) {
        Ledger ledger = Ledger.open(store, name, options);
        try {
            store.put(ledger.segmentKey(seq), new Segment(seq, epoch, writer, writer + "-late-" + seq, false, List.of(entry)).encode(),
                    ConditionalPut.ifAbsent());
            return true;
        } catch (dev.tenure.backend.BackendException taken) {
            return false;
        }
    }
}
