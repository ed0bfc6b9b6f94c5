package dev.tenure.lease.protocol;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.lease.protocol.MachineHarness.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;

/**
 * Several holders on one store, random interleavings of requests, answers, faults, pauses and
 * crashes, clocks drifting within a bound: at no true instant are two holders valid, and epochs
 * rise strictly from holder to holder, never reset.
 */
class LeaseSafetyPropertiesTest {

    private static final int NODES = 3;

    sealed interface Step {
    }

    record TryAcquire(int node) implements Step {
    }

    record Release(int node) implements Step {
    }

    record Crash(int node) implements Step {
    }

    record Pause(int node, int millis) implements Step {
    }

    record Advance(int millis) implements Step {
    }

    record Deliver(boolean newestFirst) implements Step {
    }

    record Drop() implements Step {
    }

    record AmbiguousApplied() implements Step {
    }

    record AmbiguousNotApplied() implements Step {
    }

    record TransportFailure() implements Step {
    }

    @Provide
    Arbitrary<List<Step>> histories() {
        Arbitrary<Integer> node = Arbitraries.integers().between(0, NODES - 1);
        Arbitrary<Step> step = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, node.map(TryAcquire::new)),
                net.jqwik.api.Tuple.of(1, node.map(Release::new)),
                net.jqwik.api.Tuple.of(1, node.map(Crash::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(node, Arbitraries.integers().between(50, 1500)).as(Pause::new)),
                net.jqwik.api.Tuple.of(8, Arbitraries.integers().between(1, 400).map(Advance::new)),
                net.jqwik.api.Tuple.of(10, Arbitraries.of(true, false).map(Deliver::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Drop())),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new AmbiguousApplied())),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new AmbiguousNotApplied())),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new TransportFailure())));
        return step.list().ofMinSize(10).ofMaxSize(200);
    }

    @Property(tries = 300)
    void atMostOneValidHolderAtAnyInstantAndEpochsOnlyRise(@ForAll("histories") List<Step> history,
            @ForAll @DoubleRange(min = 0.95, max = 1.05) double driftB,
            @ForAll @DoubleRange(min = 0.95, max = 1.05) double driftC) {
        MachineHarness h = new MachineHarness();
        List<Node> nodes = List.of(h.node("a"), h.node("b"), h.node("c"));
        nodes.get(1).rate = driftB;
        nodes.get(2).rate = driftC;
        for (Step step : history) {
            apply(h, nodes, step);
        }
        h.advance(Duration.ofMillis(5000));
        List<String> violations = violations(nodes);
        assertTrue(violations.isEmpty(), () -> violations + " after " + history);
    }

    /** The checker can fail: a holder whose clock runs 40% slow outlives its lease in true time. */
    @Example
    void theCheckerCatchesDriftBeyondTheSkewMargin() {
        MachineHarness h = new MachineHarness();
        Node slow = h.node("slow");
        slow.rate = 0.6;
        Node b = h.node("b");
        h.tryAcquire(slow);
        slow.crashed = true;
        h.tryAcquire(b);
        h.advance(Duration.ofMillis(1100));
        h.tryAcquire(b);
        List<String> violations = violations(List.of(slow, b));
        assertTrue(violations.stream().anyMatch(v -> v.startsWith("two holders valid at once")), violations::toString);
    }

    private static void apply(MachineHarness h, List<Node> nodes, Step step) {
        if (step instanceof TryAcquire t) {
            Node n = nodes.get(t.node());
            if (!n.crashed && !n.machine.busy()) {
                n.handle(n.machine.acquire(n.local(), LeaseMachine.Mode.ONCE, 0));
            }
        } else if (step instanceof Release r) {
            Node n = nodes.get(r.node());
            if (!n.crashed) {
                if (n.valid()) {
                    // The lease stops being valid when release is asked, before the write is answered.
                    n.events.add(new LeaseMachine.Released(n.machine.token().orElseThrow()));
                    n.eventTimes.add(h.now);
                }
                n.handle(n.machine.release(n.local()));
            }
        } else if (step instanceof Crash c) {
            nodes.get(c.node()).crashed = true;
        } else if (step instanceof Pause p) {
            // One node stops (a GC pause): its timers fire late, when it resumes; the others run on.
            Node n = nodes.get(p.node());
            n.pausedUntil = h.now + Duration.ofMillis(p.millis()).toNanos();
        } else if (step instanceof Advance a) {
            h.advanceHoldingRequests(Duration.ofMillis(a.millis()));
        } else if (h.inFlight() > 0) {
            if (step instanceof Deliver d) {
                if (d.newestFirst()) {
                    h.deliverNewest();
                } else {
                    h.deliver();
                }
            } else if (step instanceof Drop) {
                h.drop();
            } else if (step instanceof AmbiguousApplied && h.peek() instanceof LeaseMachine.Write) {
                h.applyButLoseAnswer();
            } else if (step instanceof AmbiguousNotApplied) {
                h.fail(BackendException.transport("leases/writer", true, "reset", null));
            } else if (step instanceof TransportFailure) {
                h.fail(BackendException.transport("leases/writer", false, "refused", null));
            }
        }
    }

    private record Interval(String holder, long epoch, long from, long until) {
    }

    private static List<String> violations(List<Node> nodes) {
        List<String> found = new ArrayList<>();
        List<Interval> intervals = new ArrayList<>();
        for (Node n : nodes) {
            Interval open = null;
            for (int i = 0; i < n.events.size(); i++) {
                LeaseMachine.Event e = n.events.get(i);
                long at = n.eventTimes.get(i);
                if (e instanceof LeaseMachine.Acquired a) {
                    open = new Interval(n.holder, a.token().epoch(), at, n.toTrue(a.validUntilNanos()));
                } else if (e instanceof LeaseMachine.Renewed r && open != null) {
                    open = new Interval(open.holder(), open.epoch(), open.from(), n.toTrue(r.validUntilNanos()));
                } else if ((e instanceof LeaseMachine.Revoked || e instanceof LeaseMachine.Released) && open != null) {
                    intervals.add(new Interval(open.holder(), open.epoch(), open.from(), Math.min(open.until(), at)));
                    open = null;
                }
            }
            if (open != null) {
                intervals.add(open);
            }
        }
        // An empty interval (acquired and released at one instant) holds no instant at all.
        intervals.removeIf(i -> i.from() >= i.until());
        intervals.sort(Comparator.comparingLong(Interval::from).thenComparingLong(Interval::epoch));
        for (int i = 0; i < intervals.size(); i++) {
            for (int j = i + 1; j < intervals.size(); j++) {
                Interval x = intervals.get(i);
                Interval y = intervals.get(j);
                if (Math.max(x.from(), y.from()) < Math.min(x.until(), y.until()) && !(x.holder().equals(y.holder()) && x.epoch() == y.epoch())) {
                    found.add("two holders valid at once: " + x + " and " + y);
                }
            }
            if (i > 0 && intervals.get(i).epoch() <= intervals.get(i - 1).epoch()) {
                found.add("epoch did not rise: " + intervals.get(i - 1) + " then " + intervals.get(i));
            }
        }
        return found;
    }
}
