package dev.tenure.ledger;

import dev.tenure.backend.AtomicRemoteBackend;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The simulator's way to a ledger writer machine, or a ledger's readers and truncations, with one
 * fix switched off. It lives in the simulator's jar, in the ledger's package, so the switches stay
 * package-private in the library: an application cannot reach them.
 */
public final class SimulatedLedgerWriters {

    private SimulatedLedgerWriters() {
    }

    /** A fenced writer machine; {@code switchedOff} names a fix to switch off (a mutation), or is empty. */
    public static LedgerWriterMachine fenced(String ledgerName, long epoch, String writerId, LedgerOptions options, RandomGenerator random,
            Optional<String> switchedOff) {
        EnumSet<LedgerWriterMachine.Switch> off = EnumSet.noneOf(LedgerWriterMachine.Switch.class);
        switchedOff.filter(SimulatedLedgerWriters::isWriterSwitch).ifPresent(name -> off.add(LedgerWriterMachine.Switch.valueOf(name)));
        return LedgerWriterMachine.mutated(ledgerName, epoch, writerId, options, random, off);
    }

    /** The ledger as readers and truncations use it; {@code switchedOff} may name one of their fixes to switch off. */
    public static Ledger ledger(AtomicRemoteBackend store, String ledgerName, LedgerOptions options, Optional<String> switchedOff) {
        EnumSet<RetentionFix> off = EnumSet.noneOf(RetentionFix.class);
        switchedOff.filter(SimulatedLedgerWriters::isRetentionFix).ifPresent(name -> off.add(RetentionFix.valueOf(name)));
        return Ledger.open(store, ledgerName, options, off);
    }

    /** True when {@code name} is a fix of the writer machine; false when it is one of the readers' (or unknown). */
    public static boolean isWriterSwitch(String name) {
        return Arrays.stream(LedgerWriterMachine.Switch.values()).anyMatch(s -> s.name().equals(name));
    }

    private static boolean isRetentionFix(String name) {
        return Arrays.stream(RetentionFix.values()).anyMatch(f -> f.name().equals(name));
    }
}
