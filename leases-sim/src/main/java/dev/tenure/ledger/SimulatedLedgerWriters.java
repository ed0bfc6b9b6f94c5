package dev.tenure.ledger;

import java.util.EnumSet;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The simulator's way to a ledger writer machine with one fix switched off. It lives in the
 * simulator's jar, in the ledger's package, so the switches stay package-private in the library:
 * an application cannot reach them.
 */
public final class SimulatedLedgerWriters {

    private SimulatedLedgerWriters() {
    }

    /** A fenced writer machine; {@code switchedOff} names a fix to switch off (a mutation), or is empty. */
    public static LedgerWriterMachine fenced(String ledgerName, long epoch, String writerId, LedgerOptions options, RandomGenerator random,
            Optional<String> switchedOff) {
        EnumSet<LedgerWriterMachine.Switch> off = EnumSet.noneOf(LedgerWriterMachine.Switch.class);
        switchedOff.ifPresent(name -> off.add(LedgerWriterMachine.Switch.valueOf(name)));
        return LedgerWriterMachine.mutated(ledgerName, epoch, writerId, options, random, off);
    }
}
