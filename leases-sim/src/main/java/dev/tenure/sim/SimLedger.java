package dev.tenure.sim;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerEntry;
import dev.tenure.ledger.LedgerException;
import dev.tenure.ledger.LedgerOptions;
import dev.tenure.ledger.LedgerWriter;
import dev.tenure.ledger.Position;
import dev.tenure.retry.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * The ledger side of a simulation: each leader appends through a production {@link LedgerWriter}
 * (the thread-free kind, pumped by the simulation), a reader follows the log, and a faulty store
 * loses answers and refuses requests. Checks that every acknowledged append is present exactly
 * once where it was acknowledged, that epochs never go down along the log, and that nothing a
 * reader saw ever vanishes.
 */
final class SimLedger {

    static final String ACKED = "ledger-acknowledged";
    static final String EPOCHS = "ledger-epochs";
    static final String READERS = "ledger-readers";

    /** Faults decided by the simulation's seeded random. */
    private static final class FaultyStore extends ForwardingAtomicBackend {
        private final SplittableRandom random;
        private final boolean faults;
        boolean on = true;

        private final boolean ackBeforeDurable;
        private long fakeVersions;

        FaultyStore(SplittableRandom random, boolean faults, boolean ackBeforeDurable) {
            super(new InMemoryBackend("sim-ledger"));
            this.random = random;
            this.faults = faults;
            this.ackBeforeDurable = ackBeforeDurable;
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            if (ackBeforeDurable && key.contains("/seg/") && random.nextInt(50) == 0) {
                // The mutation: acknowledged, then lost when the store crashes before making it durable.
                return new ObjectVersion("lost-" + (++fakeVersions));
            }
            int dice = faults && on ? random.nextInt(100) : 100;
            if (dice < 3) {
                super.put(key, bytes, condition);
                throw BackendException.transport(key, true, "answer lost after the write was applied", null);
            }
            if (dice < 5) {
                throw BackendException.transport(key, true, "connection reset before the write was applied", null);
            }
            if (dice < 7) {
                throw BackendException.transport(key, false, "503 SlowDown", null);
            }
            return super.put(key, bytes, condition);
        }

        @Override
        public Optional<Versioned<byte[]>> read(String key) {
            if (faults && on && random.nextInt(100) < 2) {
                throw BackendException.transport(key, false, "503 SlowDown", null);
            }
            return super.read(key);
        }
    }

    private final Ledger ledger;
    private final LedgerOptions options;
    private final Map<String, LedgerWriter> writers = new LinkedHashMap<>();
    private final Map<String, Integer> counters = new HashMap<>();
    private final Map<String, Position> acked = new LinkedHashMap<>();
    private final Set<String> seen = new LinkedHashSet<>();
    private final FaultyStore store;

    SimLedger(SplittableRandom random, boolean faults, boolean ackBeforeDurable) {
        this.store = new FaultyStore(random, faults, ackBeforeDurable);
        // Backoff of a microsecond: the simulation's time is virtual, so real waiting would only slow it down.
        RetryPolicy fast = new RetryPolicy(Duration.ofNanos(1000), Duration.ofNanos(1000), 1.0, 200);
        this.options = new LedgerOptions(50, 1 << 20, Duration.ZERO, 1, 100_000, 1_000_000, fast);
        this.ledger = Ledger.open(store, "sim", options);
    }

    /** A node became leader with {@code token}: it opens a writer (which fences the ledger). */
    void elected(String holder, FencingToken token) {
        try {
            writers.put(holder, ledger.manualWriter(token, holder));
        } catch (LedgerException.Fenced | BackendException refused) {
            // A newer writer already fenced the ledger, or the store refused long enough: no writer this term.
        }
    }

    /** A node stopped being leader (or crashed): its writer is dropped with whatever it had not written. */
    void deposed(String holder) {
        writers.remove(holder);
    }

    /** A valid leader appends one entry and writes it. */
    void append(String holder, long epoch) {
        LedgerWriter writer = writers.get(holder);
        if (writer == null) {
            return;
        }
        int n = counters.merge(holder, 1, Integer::sum);
        String entry = holder + ":" + epoch + ":" + n;
        try {
            CompletableFuture<Position> f = writer.tryAppend(entry.getBytes(StandardCharsets.UTF_8)).orElse(null);
            if (f == null) {
                return;
            }
            writer.pump();
            if (f.isDone() && !f.isCompletedExceptionally()) {
                acked.put(entry, f.join());
            }
        } catch (LedgerException stopped) {
            writers.remove(holder);
        }
    }

    /** A reader follows the log from the start. */
    void read() {
        try {
            ledger.read(Position.START).forEachRemaining(e -> seen.add(new String(e.data(), StandardCharsets.UTF_8)));
        } catch (BackendException transientFailure) {
            // Readers try again on their next pass.
        }
    }

    void heal() {
        store.on = false;
    }

    /** The checks, against a final read with faults off. */
    List<SimulationResult.Violation> check() {
        heal();
        List<SimulationResult.Violation> violations = new ArrayList<>();
        Map<String, Integer> copies = new HashMap<>();
        Map<Position, String> at = new HashMap<>();
        long lastEpoch = 0;
        Ledger clean = Ledger.open(store, "sim", options);
        for (var it = clean.read(Position.START); it.hasNext(); ) {
            LedgerEntry e = it.next();
            String entry = new String(e.data(), StandardCharsets.UTF_8);
            copies.merge(entry, 1, Integer::sum);
            at.put(e.position(), entry);
            if (e.epoch() < lastEpoch && violations.size() < 5) {
                violations.add(new SimulationResult.Violation(EPOCHS, entry + " has epoch " + e.epoch() + " after epoch " + lastEpoch));
            }
            lastEpoch = Math.max(lastEpoch, e.epoch());
        }
        copies.forEach((entry, n) -> {
            if (n > 1 && violations.size() < 10) {
                violations.add(new SimulationResult.Violation(ACKED, entry + " appears " + n + " times"));
            }
        });
        for (Map.Entry<String, Position> a : acked.entrySet()) {
            if (!a.getKey().equals(at.get(a.getValue()))) {
                violations.add(new SimulationResult.Violation(ACKED, "acknowledged " + a.getKey() + " at " + a.getValue()
                        + " but the log has " + at.get(a.getValue()) + " there"));
                break;
            }
        }
        for (String s : seen) {
            if (!copies.containsKey(s)) {
                violations.add(new SimulationResult.Violation(READERS, "a reader saw " + s + " committed, and it vanished"));
                break;
            }
        }
        return violations;
    }

    int acknowledged() {
        return acked.size();
    }

}
