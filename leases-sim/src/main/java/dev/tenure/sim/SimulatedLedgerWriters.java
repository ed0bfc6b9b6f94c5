package dev.tenure.sim;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerOptions;
import dev.tenure.ledger.protocol.LedgerWriterMachine;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The simulator's way to a ledger writer machine, or a ledger's readers and truncations, with one
 * fix switched off. The writer's switches live in {@code dev.tenure.ledger.protocol}, which the lease
 * module exports to this module alone. The readers' fixes are package-private in the ledger's API
 * package, which the lease module opens to this module alone (a qualified {@code opens}); this class
 * reaches them by a private lookup. No application can reach either.
 */
final class SimulatedLedgerWriters {

    private static final MethodHandle OPEN;
    private static final Class<? extends Enum<?>> RETENTION_FIX;

    static {
        try {
            MethodHandles.Lookup ledger = MethodHandles.privateLookupIn(Ledger.class, MethodHandles.lookup());
            RETENTION_FIX = enumClass(ledger, "dev.tenure.ledger.RetentionFix");
            OPEN = ledger.findStatic(Ledger.class, "open", MethodType.methodType(Ledger.class, AtomicRemoteBackend.class,
                    String.class, LedgerOptions.class, Set.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private SimulatedLedgerWriters() {
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends Enum<?>> enumClass(MethodHandles.Lookup lookup, String name) throws ClassNotFoundException {
        return (Class<? extends Enum<?>>) Class.forName(name, false, lookup.lookupClass().getClassLoader());
    }

    /** A fenced writer machine; {@code switchedOff} names a fix to switch off (a mutation), or is empty. */
    static LedgerWriterMachine fenced(String ledgerName, long epoch, String writerId, LedgerOptions options, RandomGenerator random,
            Optional<String> switchedOff) {
        EnumSet<LedgerWriterMachine.Switch> off = EnumSet.noneOf(LedgerWriterMachine.Switch.class);
        switchedOff.filter(SimulatedLedgerWriters::isWriterSwitch).ifPresent(name -> off.add(LedgerWriterMachine.Switch.valueOf(name)));
        return LedgerWriterMachine.mutated(ledgerName, epoch, writerId, options, random, off);
    }

    /** The ledger as readers and truncations use it; {@code switchedOff} may name one of their fixes to switch off. */
    static Ledger ledger(AtomicRemoteBackend store, String ledgerName, LedgerOptions options, Optional<String> switchedOff) {
        Set<Object> off = switches(RETENTION_FIX, switchedOff);
        try {
            return (Ledger) OPEN.invoke(store, ledgerName, options, off);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when {@code name} is a fix of the writer machine; false when it is one of the readers' (or unknown). */
    static boolean isWriterSwitch(String name) {
        return constant(LedgerWriterMachine.Switch.class, name).isPresent();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Set<Object> switches(Class<? extends Enum<?>> type, Optional<String> name) {
        Set off = EnumSet.noneOf((Class) type);
        name.flatMap(n -> constant(type, n)).ifPresent(off::add);
        return off;
    }

    private static Optional<Enum<?>> constant(Class<? extends Enum<?>> type, String name) {
        for (Enum<?> e : type.getEnumConstants()) {
            if (e.name().equals(name)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }
}
