package dev.tenure.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.sim.LinearizabilityChecker.Kind;
import dev.tenure.sim.LinearizabilityChecker.Op;
import dev.tenure.sim.LinearizabilityChecker.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

    private static final long MS = 1_000_000;

    @Test
    void aHistoryWithOverlapsLinearizes() {
        List<Op> ops = List.of(
                new Op(0, 10 * MS, Kind.PUT_IF_ABSENT, null, "a", Outcome.OK),
                new Op(5 * MS, 15 * MS, Kind.READ, "a", null, Outcome.OK),
                new Op(12 * MS, Long.MAX_VALUE, Kind.PUT_IF_VERSION, "a", "b", Outcome.UNKNOWN),
                new Op(20 * MS, 25 * MS, Kind.READ, "b", null, Outcome.OK));
        assertTrue(LinearizabilityChecker.check(ops, null).linearizable());
    }

    @Test
    void theBlameFallsOnTheOperationNoOrderCanPlaceNotOnTheEarliest() {
        // Many early, explainable operations, then a read of a value nobody wrote (the write missing
        // from the history, as when an answer was still in flight at the end of a run).
        List<Op> ops = new java.util.ArrayList<>();
        ops.add(new Op(0, MS, Kind.READ, null, null, Outcome.OK));
        ops.add(new Op(2 * MS, 3 * MS, Kind.PUT_IF_ABSENT, null, "n1", Outcome.OK));
        ops.add(new Op(4 * MS, 5 * MS, Kind.READ, "n1", null, Outcome.OK));
        ops.add(new Op(6 * MS, 7 * MS, Kind.PUT_IF_VERSION, "n1", "n2", Outcome.OK));
        ops.add(new Op(8 * MS, 9 * MS, Kind.READ, "ghost", null, Outcome.OK));
        LinearizabilityChecker.Result r = LinearizabilityChecker.check(ops, null);
        assertFalse(r.linearizable());
        assertEquals(4, r.linearizedBeforeFailure());
        assertTrue(r.detail().startsWith("no order explains READ OK that saw ghost, invoked at 8.000 ms"), r.detail());
        assertTrue(r.detail().contains("holding n2 before it"), r.detail());
    }
}
