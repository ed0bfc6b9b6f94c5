package dev.tenure.lease.protocol;

import java.util.List;

/**
 * Carries out a {@link LeaseMachine}'s commands, in the order the machine gave them: the one
 * dispatcher that the production driver, the tests' harness and the simulator all use, so that
 * none of them holds protocol logic of its own. Only the I/O differs, behind {@link Target}.
 *
 * <p>Order matters: a {@link LeaseMachine.Releasing} notification comes before the release write
 * it precedes, so a target that delivers notifications as they come has invalidated every handle
 * before the write can leave. A target must call {@link LeaseMachine#onSent} right before each
 * request actually leaves (after any queueing), so that validity and the request timeout count
 * from the real send time.
 */
public final class CommandDispatcher {

    /** Where commands go: the store, the timers, and whoever listens. */
    public interface Target {
        /** Send the read; answer with {@link LeaseMachine#onRead}. */
        void read(LeaseMachine.Read read);

        /** Send the write; answer with {@link LeaseMachine#onWrite}. */
        void write(LeaseMachine.Write write);

        /** Send the delete (only under a simulator mutation); answer with {@link LeaseMachine#onWrite}. */
        default void delete(LeaseMachine.Delete delete) {
            throw new IllegalStateException("delete-on-release is a simulator mutation, never configured here: " + delete);
        }

        /** Arm the timer; at its time call {@link LeaseMachine#onTimer}. */
        void timer(LeaseMachine.SetTimer timer);

        /** Tell the API or listeners, now (before any later command runs). */
        void notify(LeaseMachine.Event event);
    }

    private CommandDispatcher() {
    }

    /** Carries out {@code commands} in order. */
    public static void dispatch(List<LeaseMachine.Command> commands, Target target) {
        for (LeaseMachine.Command c : commands) {
            if (c instanceof LeaseMachine.Read read) {
                target.read(read);
            } else if (c instanceof LeaseMachine.Write write) {
                target.write(write);
            } else if (c instanceof LeaseMachine.Delete delete) {
                target.delete(delete);
            } else if (c instanceof LeaseMachine.SetTimer timer) {
                target.timer(timer);
            } else if (c instanceof LeaseMachine.Notify notify) {
                target.notify(notify.event());
            }
        }
    }
}
