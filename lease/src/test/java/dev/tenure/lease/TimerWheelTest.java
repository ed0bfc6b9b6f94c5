package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The production scheduler: never early, in order, cancellable, one thread, closed for good. */
class TimerWheelTest {

    @Test
    void timersNeverFireEarlyAndFireInOrderOfTheirTimes() throws Exception {
        try (TimerWheel wheel = new TimerWheel("test-wheel")) {
            int n = 200;
            List<long[]> fired = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(n);
            CompletableFuture<Void> scheduled = new CompletableFuture<>();
            wheel.execute(() -> {
                // Scheduled from the wheel's own thread, as the lease driver does; delays cross slots and a whole turn.
                for (int i = 0; i < n; i++) {
                    long delay = (i * 7919L % n) * 37_000L + (i % 3 == 0 ? TimerWheel.SLOTS * TimerWheel.TICK_NANOS / 40 : 0);
                    // The wheel reads the clock inside schedule(): its time for the timer lies between these two.
                    long[] record = new long[3];
                    record[0] = System.nanoTime() + delay;
                    wheel.schedule(() -> {
                        record[2] = System.nanoTime();
                        fired.add(record);
                        done.countDown();
                    }, delay);
                    record[1] = System.nanoTime() + delay;
                }
                scheduled.complete(null);
            });
            scheduled.get(10, TimeUnit.SECONDS);
            assertTrue(done.await(30, TimeUnit.SECONDS), "every timer fired");
            CompletableFuture<List<long[]>> seen = new CompletableFuture<>();
            wheel.execute(() -> seen.complete(List.copyOf(fired)));
            List<long[]> order = seen.get(10, TimeUnit.SECONDS);
            assertEquals(n, order.size());
            for (int i = 0; i < order.size(); i++) {
                assertTrue(order.get(i)[2] >= order.get(i)[0], "timer " + i + " fired " + (order.get(i)[0] - order.get(i)[2]) + " ns early");
                if (i > 0) {
                    assertTrue(order.get(i - 1)[0] <= order.get(i)[1], "timers fired out of the order of their times at " + i);
                }
            }
        }
    }

    @Test
    void aCancelledTimerNeverRunsWhicheverThreadCancelsIt() throws Exception {
        try (TimerWheel wheel = new TimerWheel("test-wheel")) {
            AtomicBoolean ranOnWheel = new AtomicBoolean();
            AtomicBoolean ranFromOutside = new AtomicBoolean();
            CompletableFuture<Void> cancelledOnWheel = new CompletableFuture<>();
            wheel.execute(() -> {
                wheel.schedule(() -> ranOnWheel.set(true), 20_000_000).cancel();
                cancelledOnWheel.complete(null);
            });
            cancelledOnWheel.get(10, TimeUnit.SECONDS);
            wheel.schedule(() -> ranFromOutside.set(true), 20_000_000).cancel();
            CountDownLatch later = new CountDownLatch(1);
            wheel.schedule(later::countDown, 60_000_000);
            assertTrue(later.await(10, TimeUnit.SECONDS), "a later timer fired");
            assertFalse(ranOnWheel.get(), "a timer cancelled on the wheel's thread ran");
            assertFalse(ranFromOutside.get(), "a timer cancelled from another thread ran");
        }
    }

    @Test
    void tasksRunInOrderOnOneThreadAndAFailingTaskStopsNothing() throws Exception {
        try (TimerWheel wheel = new TimerWheel("test-wheel")) {
            List<Integer> order = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(1);
            for (int i = 0; i < 1000; i++) {
                int k = i;
                wheel.execute(() -> {
                    order.add(k);
                    threads.add(Thread.currentThread());
                });
                if (i == 500) {
                    wheel.execute(() -> {
                        throw new IllegalStateException("a task that fails on purpose");
                    });
                }
            }
            wheel.execute(done::countDown);
            assertTrue(done.await(10, TimeUnit.SECONDS));
            CompletableFuture<List<Integer>> seen = new CompletableFuture<>();
            wheel.execute(() -> seen.complete(List.copyOf(order)));
            List<Integer> ran = seen.get(10, TimeUnit.SECONDS);
            assertEquals(1000, ran.size());
            for (int i = 0; i < ran.size(); i++) {
                assertEquals(i, ran.get(i));
            }
            assertEquals(1, threads.stream().distinct().count(), "every task ran on the one thread");
        }
    }

    @Test
    void aTaskGivenSoonWakesAWheelWithNoTimerDue() throws Exception {
        try (TimerWheel wheel = new TimerWheel("test-wheel-soon")) {
            // Let the thread go to sleep with nothing to wake it (no timer): the task must wake it.
            CountDownLatch idle = new CountDownLatch(1);
            wheel.execute(idle::countDown);
            assertTrue(idle.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < 100; i++) {
                CountDownLatch ran = new CountDownLatch(1);
                wheel.executeWithin(ran::countDown, TimerWheel.TICK_NANOS);
                assertTrue(ran.await(10, TimeUnit.SECONDS), "a task given soon waited for a timer that does not exist (round " + i + ")");
            }
        }
    }

    @Test
    void aTaskGivenSoonRunsBeforeTheTimerTheWheelWakesForAndInOrderWithOtherTasks() throws Exception {
        try (TimerWheel wheel = new TimerWheel("test-wheel-soon-timer")) {
            List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch fired = new CountDownLatch(1);
            CompletableFuture<Void> armed = new CompletableFuture<>();
            wheel.execute(() -> {
                wheel.schedule(() -> {
                    order.add("timer");
                    fired.countDown();
                }, 50_000_000);
                armed.complete(null);
            });
            armed.get(10, TimeUnit.SECONDS);
            // Within a bound longer than the timer's delay: the thread is not woken for these, they
            // run when it wakes for the timer, before it, and in the order they were given.
            wheel.executeWithin(() -> order.add("soon 1"), 10 * 50_000_000L);
            wheel.execute(() -> order.add("now"));
            wheel.executeWithin(() -> order.add("soon 2"), 10 * 50_000_000L);
            assertTrue(fired.await(10, TimeUnit.SECONDS));
            assertEquals(List.of("soon 1", "now", "soon 2", "timer"), List.copyOf(order));
        }
    }

    @Test
    void afterCloseNothingIsAcceptedAndPendingTimersAreDropped() throws Exception {
        TimerWheel wheel = new TimerWheel("test-wheel-closed");
        AtomicBoolean ran = new AtomicBoolean();
        wheel.schedule(() -> ran.set(true), 5_000_000_000L);
        wheel.close();
        assertThrows(RejectedExecutionException.class, () -> wheel.execute(() -> { }));
        assertThrows(RejectedExecutionException.class, () -> wheel.executeWithin(() -> { }, TimerWheel.TICK_NANOS));
        // The wheel's thread ends once closed; joining it is the synchronisation, not a sleep.
        Thread thread = threadNamed("test-wheel-closed");
        if (thread != null) {
            thread.join(10_000);
            assertFalse(thread.isAlive(), "the wheel's thread stopped");
        }
        assertFalse(ran.get(), "a timer fired after close");
    }

    private static Thread threadNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst().orElse(null);
    }
}
