package dev.tenure.ledger;

import dev.tenure.ledger.protocol.LedgerWriterMachine;
import dev.tenure.ledger.protocol.Segment;
import dev.tenure.ledger.protocol.LedgerKeys;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * Drives {@link LedgerWriterMachine}s by hand against an in-memory store, in virtual time: a test
 * decides which request is carried out when, holds some back, loses answers. Deterministic.
 */
final class WriterRig {

    static final String LEDGER = "rig";

    final InMemoryBackend store = new InMemoryBackend("rig");
    final LedgerOptions options;
    long now;
    private final SplittableRandom random = new SplittableRandom(42);

    WriterRig(LedgerOptions options) {
        this.options = options;
    }

    final class Node {
        final LedgerWriterMachine machine;
        final Deque<LedgerWriterMachine.Command> pending = new ArrayDeque<>();
        final Map<Long, List<String>> batches = new HashMap<>();
        final Map<Long, Long> acked = new HashMap<>();
        final Map<Long, LedgerException> failed = new HashMap<>();
        Long fence;
        RuntimeException stopped;
        /** Every read fails with a 503 and every write is refused before applying. */
        boolean unreachable;
        /** When the test made the store unreachable. */
        long unreachableSince;
        /** Writes are lost before they apply, and answered with an ambiguous error. */
        boolean loseEveryAnswerUnapplied;
        /** Writes carried out (tried against the store). */
        long writes;
        /** Reads carried out. */
        long reads;
        long batchNo;

        Node(LedgerWriterMachine machine) {
            this.machine = machine;
        }

        /** Queues a batch of entries; returns its number. */
        long append(String... entries) {
            long no = ++batchNo;
            batches.put(no, List.of(entries));
            accept(machine.onBatch(now, no, List.of(entries).stream().map(e -> e.getBytes(StandardCharsets.UTF_8)).toList()));
            return no;
        }

        void open() {
            accept(machine.open(now));
        }

        void accept(List<LedgerWriterMachine.Command> commands) {
            for (LedgerWriterMachine.Command c : commands) {
                if (c instanceof LedgerWriterMachine.Acknowledge a) {
                    acked.put(a.batch(), a.segment());
                } else if (c instanceof LedgerWriterMachine.Fail f) {
                    failed.put(f.batch(), f.error());
                } else if (c instanceof LedgerWriterMachine.Opened o) {
                    fence = o.fenceSegment();
                } else if (c instanceof LedgerWriterMachine.Stopped s) {
                    stopped = s.error();
                } else {
                    pending.add(c);
                }
            }
        }

        /**
         * Carries out the oldest pending request, or, when only timers are pending, the one due first
         * (time moves only when nothing else is left to do); false when nothing is pending.
         */
        boolean step() {
            LedgerWriterMachine.Command c = null;
            for (LedgerWriterMachine.Command p : pending) {
                if (!(p instanceof LedgerWriterMachine.SetTimer)) {
                    c = p;
                    break;
                }
            }
            if (c == null) {
                c = pending.stream().min(java.util.Comparator.comparingLong(p -> ((LedgerWriterMachine.SetTimer) p).atNanos())).orElse(null);
            }
            if (c == null) {
                return false;
            }
            pending.remove(c);
            carryOut(c, false);
            return true;
        }

        /** Steps until nothing is pending. */
        Node settle() {
            for (int i = 0; i < 100_000 && step(); i++) {
                // bounded: a machine that never stops asking is a failure the caller's assertions see
            }
            return this;
        }

        /** Removes the first pending command matching {@code which}, to carry out later with {@link #deliver}. */
        LedgerWriterMachine.Command hold(Predicate<LedgerWriterMachine.Command> which) {
            for (Iterator<LedgerWriterMachine.Command> it = pending.iterator(); it.hasNext(); ) {
                LedgerWriterMachine.Command c = it.next();
                if (which.test(c)) {
                    it.remove();
                    return c;
                }
            }
            throw new AssertionError("no pending command matches; pending: " + pending);
        }

        /** Carries out a held command now; {@code loseAnswer}: applied, but the machine hears an ambiguous error. */
        void deliver(LedgerWriterMachine.Command c, boolean loseAnswer) {
            carryOut(c, loseAnswer);
        }

        private void carryOut(LedgerWriterMachine.Command c, boolean loseAnswer) {
            if (c instanceof LedgerWriterMachine.Put p) {
                writes++;
                ObjectVersion v = null;
                BackendException failure = null;
                if (unreachable) {
                    accept(machine.onPut(p.requestId(), now, null, BackendException.transport(p.key(), false, "503", null)));
                    return;
                }
                if (loseEveryAnswerUnapplied) {
                    accept(machine.onPut(p.requestId(), now, null, BackendException.transport(p.key(), true, "timed out", null)));
                    return;
                }
                try {
                    v = store.put(p.key(), p.bytes(), p.condition());
                } catch (BackendException e) {
                    failure = e;
                }
                if (loseAnswer) {
                    failure = BackendException.transport(p.key(), true, "answer lost", null);
                }
                accept(machine.onPut(p.requestId(), now, v, failure));
            } else if (c instanceof LedgerWriterMachine.Read r) {
                reads++;
                if (unreachable) {
                    accept(machine.onRead(r.requestId(), now, Optional.empty(), BackendException.transport(r.key(), false, "503", null)));
                    return;
                }
                Optional<Versioned<byte[]>> found = store.read(r.key());
                accept(machine.onRead(r.requestId(), now, found, null));
            } else if (c instanceof LedgerWriterMachine.SetTimer t) {
                now = Math.max(now, t.atNanos());
                accept(machine.onTimer(t.token(), now));
            }
        }
    }

    Node fenced(long epoch, String id, LedgerWriterMachine.Switch... off) {
        Set<LedgerWriterMachine.Switch> switches = off.length == 0 ? EnumSet.noneOf(LedgerWriterMachine.Switch.class) : EnumSet.of(off[0], off);
        return new Node(LedgerWriterMachine.mutated(LEDGER, epoch, id, options, random.split(), switches));
    }

    static Predicate<LedgerWriterMachine.Command> putAt(long seq) {
        return c -> c instanceof LedgerWriterMachine.Put p && p.key().equals(LedgerKeys.segment(LedgerKeys.prefix(LEDGER), seq));
    }

    static boolean isSegmentPut(LedgerWriterMachine.Command c) {
        return c instanceof LedgerWriterMachine.Put p && p.key().contains("/seg/");
    }

    /** Writes a segment straight into the store, as a stale writer's late write would land. */
    void land(long seq, long epoch, String writer, String... entries) {
        Segment s = new Segment(seq, epoch, writer, writer + "-late-" + seq, false,
                List.of(entries).stream().map(e -> e.getBytes(StandardCharsets.UTF_8)).toList());
        store.put(LedgerKeys.segment(LedgerKeys.prefix(LEDGER), seq), s.encode(), dev.tenure.backend.ConditionalPut.ifAbsent());
    }

    /** What a reader sees, as "entry@segment". */
    List<String> read() {
        List<String> seen = new ArrayList<>();
        Ledger ledger = Ledger.open(store, LEDGER, options);
        ledger.read(ledger.firstPosition())
                .forEachRemaining(e -> seen.add(new String(e.data(), StandardCharsets.UTF_8) + "@" + e.position().segment()));
        return seen;
    }
}
