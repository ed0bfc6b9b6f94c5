package dev.tenure.lease.protocol;

import static dev.tenure.lease.protocol.MachineHarness.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.protocol.LeaseMachine.Acquired;
import dev.tenure.lease.protocol.LeaseMachine.Releasing;
import dev.tenure.lease.protocol.MachineHarness.Node;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The step-down rule of the lease machine (issue 13): let go, hold off, contend again; only an election steps down. */
class StepDownMachineTest {

    private final MachineHarness h = new MachineHarness();

    @Test
    void aStepDownInvalidatesBeforeTheReleaseWriteHoldsOffThenContendsAgainAtTheNextEpoch() {
        Node a = h.node("a");
        a.handle(a.machine.acquire(a.local(), LeaseMachine.Mode.FOREVER, Long.MAX_VALUE));
        h.settle();
        assertTrue(a.valid());
        List<LeaseMachine.Command> commands = a.machine.stepDown(a.local(), ms(2_000).toNanos());
        int releasing = -1;
        int write = -1;
        for (int i = 0; i < commands.size(); i++) {
            if (commands.get(i) instanceof LeaseMachine.Notify n && n.event() instanceof Releasing) {
                releasing = i;
            } else if (commands.get(i) instanceof LeaseMachine.Write) {
                write = i;
            }
        }
        assertTrue(releasing >= 0 && write > releasing, "Releasing comes before the release write: " + commands);
        assertFalse(a.valid(), "invalid from the step-down on");
        a.handle(commands);
        h.settle();
        assertTrue(h.stored().released(), "released, epoch kept");
        assertEquals(1, h.stored().epoch());
        h.advance(ms(1_900));
        assertFalse(a.valid(), "held off");
        assertTrue(h.stored().released(), "nobody took it meanwhile, and a did not take it back early");
        h.advance(ms(200));
        assertTrue(a.valid(), "contends again after the hold-off: " + a.events);
        assertEquals(2, a.last(Acquired.class).orElseThrow().token().epoch());
    }

    @Test
    void onlyAnElectionHoldingAValidLeaseStepsDown() {
        Node a = h.node("a");
        h.tryAcquire(a);
        assertInstanceOf(Acquired.class, a.events.get(a.events.size() - 1));
        assertEquals(List.of(), a.machine.stepDown(a.local(), 0), "a plain lease is released, not stepped down");
        assertTrue(a.valid());
        Node b = h.node("b");
        b.handle(b.machine.acquire(b.local(), LeaseMachine.Mode.FOREVER, Long.MAX_VALUE));
        h.settle();
        assertEquals(List.of(), b.machine.stepDown(b.local(), 0), "not leading: nothing to step down from");
    }
}
