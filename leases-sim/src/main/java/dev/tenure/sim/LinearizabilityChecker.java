package dev.tenure.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that a history of operations on one compare-and-swap register is linearizable, by the
 * Wing-Gong search with Lowe's memoisation of (linearized set, state). Every write carries a
 * unique nonce, so the register's state is the nonce of the write it holds. An operation whose
 * outcome is unknown (an ambiguous write) never returns: it may take effect at any point after it
 * was invoked, or never.
 */
final class LinearizabilityChecker {

    /** What an operation did. */
    enum Kind { READ, PUT_IF_ABSENT, PUT_IF_VERSION, DELETE }

    /** How it ended. */
    enum Outcome { OK, CONDITION_FAILED, UNKNOWN }

    /**
     * One operation.
     *
     * @param invoked true time the request was sent
     * @param returned true time the answer arrived ({@code Long.MAX_VALUE} when unknown)
     * @param kind what it did
     * @param expected for a conditional write the nonce it expected; for a read the nonce it saw (null: absent)
     * @param writes the nonce it writes (null for a delete)
     * @param outcome how it ended
     */
    record Op(long invoked, long returned, Kind kind, String expected, String writes, Outcome outcome) {
    }

    /** The verdict, with the longest linearizable prefix when the history is not linearizable. */
    record Result(boolean linearizable, int operations, int linearizedBeforeFailure, String detail) {
    }

    private static final class Entry {
        final int op;
        final boolean call;
        final long time;
        Entry prev;
        Entry next;
        Entry match;

        Entry(int op, boolean call, long time) {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    private record Frame(Entry entry, String state, int alternative) {
    }

    private record Memo(BitSet linearized, String state) {
    }

    private LinearizabilityChecker() {
    }

    static Result check(List<Op> ops, String initial) {
        int n = ops.size();
        List<Entry> entries = new ArrayList<>(2 * n);
        for (int i = 0; i < n; i++) {
            Entry call = new Entry(i, true, ops.get(i).invoked());
            Entry ret = new Entry(i, false, ops.get(i).returned());
            call.match = ret;
            entries.add(call);
            entries.add(ret);
        }
        // Returns sort before calls at the same instant: an answer received at t precedes a request sent at t.
        entries.sort((a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Boolean.compare(a.call, b.call));
        Entry head = new Entry(-1, false, Long.MIN_VALUE);
        Entry last = head;
        for (Entry e : entries) {
            last.next = e;
            e.prev = last;
            last = e;
        }
        BitSet linearized = new BitSet(n);
        Set<Memo> seen = new HashSet<>();
        Deque<Frame> stack = new ArrayDeque<>();
        String state = initial;
        Entry entry = head.next;
        int best = 0;
        // The first operation the search could not get past at its deepest: the one to blame. The
        // operation at which the whole search finally gives up is merely the earliest one.
        int blamed = -1;
        String blamedState = null;
        int alternative = 0;
        while (head.next != null) {
            if (entry == null) {
                break;
            }
            if (entry.call) {
                List<String> next = step(state, ops.get(entry.op));
                boolean moved = false;
                for (int a = alternative; a < next.size(); a++) {
                    BitSet with = (BitSet) linearized.clone();
                    with.set(entry.op);
                    if (seen.add(new Memo(with, next.get(a)))) {
                        stack.push(new Frame(entry, state, a));
                        state = next.get(a);
                        linearized.set(entry.op);
                        lift(entry);
                        if (linearized.cardinality() > best) {
                            best = linearized.cardinality();
                            blamed = -1;
                        }
                        entry = head.next;
                        moved = true;
                        break;
                    }
                }
                alternative = 0;
                if (!moved) {
                    entry = entry.next;
                }
            } else {
                if (blamed < 0 && linearized.cardinality() == best) {
                    blamed = entry.op;
                    blamedState = state;
                }
                if (stack.isEmpty()) {
                    Op stuck = ops.get(blamed >= 0 ? blamed : entry.op);
                    return new Result(false, n, best, "no order explains " + describe(stuck)
                            + (blamed >= 0 ? "; the longest explained order leaves the register holding "
                                    + (blamedState == null ? "nothing" : blamedState) + " before it" : ""));
                }
                Frame top = stack.pop();
                state = top.state();
                linearized.clear(top.entry().op);
                unlift(top.entry());
                entry = top.entry();
                alternative = top.alternative() + 1;
            }
        }
        return new Result(true, n, n, "linearizable");
    }

    private static String describe(Op op) {
        String what = op.kind() == Kind.READ ? " that saw " + (op.expected() == null ? "nothing" : op.expected())
                : op.kind() == Kind.DELETE ? "" : " expecting " + (op.expected() == null ? "nothing" : op.expected())
                        + " and writing " + op.writes();
        return op.kind() + " " + op.outcome() + what + ", invoked at " + millis(op.invoked()) + " and returned at "
                + (op.returned() == Long.MAX_VALUE ? "never" : millis(op.returned()));
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
    }

    /** The states {@code op} may leave the register in, or none when it cannot apply in {@code state}. */
    static List<String> step(String state, Op op) {
        boolean holds = switch (op.kind()) {
            case READ -> Objects.equals(state, op.expected());
            case PUT_IF_ABSENT -> state == null;
            case PUT_IF_VERSION -> state != null && state.equals(op.expected());
            case DELETE -> true;
        };
        if (op.kind() == Kind.READ) {
            return holds ? single(state) : List.of();
        }
        return switch (op.outcome()) {
            case OK -> holds ? single(op.writes()) : List.of();
            case CONDITION_FAILED -> holds ? List.of() : single(state);
            case UNKNOWN -> holds ? pair(op.writes(), state) : single(state);
        };
    }

    private static List<String> single(String s) {
        List<String> l = new ArrayList<>(1);
        l.add(s);
        return l;
    }

    private static List<String> pair(String a, String b) {
        List<String> l = new ArrayList<>(2);
        l.add(a);
        l.add(b);
        return l;
    }

    private static void lift(Entry call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Entry ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    private static void unlift(Entry call) {
        Entry ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }
}
