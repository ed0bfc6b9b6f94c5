package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The driver's backend calls on their way to the I/O threads: fast calls share one runner (one
 * thread wake-up per turn), slow ones get a runner each, a call behind one that hangs gets a
 * runner of its own, and no call is ever left in the queue.
 */
class IoBatchTest {

    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "io-batch-test");
        t.setDaemon(true);
        return t;
    });
    /** The calls' clock: stands still unless a test moves it, so every call takes no time unless it says so. */
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    /** Counts the runners handed to the threads, and how many are running. */
    private final class Runners implements Executor {
        final AtomicInteger started = new AtomicInteger();
        private int running;

        @Override
        public void execute(Runnable runner) {
            started.incrementAndGet();
            synchronized (this) {
                running++;
            }
            threads.execute(() -> {
                try {
                    runner.run();
                } finally {
                    synchronized (this) {
                        running--;
                        notifyAll();
                    }
                }
            });
        }

        synchronized void awaitIdle() throws InterruptedException {
            long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (running > 0) {
                long left = giveUpAt - System.nanoTime();
                assertTrue(left > 0, running + " runners still running");
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    /** Ten calls added and flushed as the protocol thread does in one turn; waits until they have all run. */
    private static void turn(IoBatch batch, Runners runners, AtomicInteger ran) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(10);
        for (int i = 0; i < 10; i++) {
            batch.add(() -> {
                ran.incrementAndGet();
                done.countDown();
            });
        }
        batch.flush();
        assertTrue(done.await(10, TimeUnit.SECONDS), "the calls of a turn ran");
        runners.awaitIdle();
    }

    @Test
    void fastCallsOfOneTurnShareOneRunnerOnceTheyHaveBeenTimed() throws Exception {
        Runners runners = new Runners();
        IoBatch batch = new IoBatch(runners, clock::get);
        AtomicInteger ran = new AtomicInteger();
        turn(batch, runners, ran);
        // Before any call was timed, a call is taken to be slow: each one gets a runner, as it got a thread before.
        assertEquals(10, runners.started.get(), "untimed calls each got a runner");
        for (int i = 0; i < 20; i++) {
            turn(batch, runners, ran);
        }
        int before = runners.started.get();
        turn(batch, runners, ran);
        assertEquals(1, runners.started.get() - before, "ten fast calls of one turn went to the I/O threads as one runner");
        assertEquals(220, ran.get());
    }

    @Test
    void slowCallsEachGetARunner() throws Exception {
        Runners runners = new Runners();
        IoBatch batch = new IoBatch(runners, clock::get);
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 20; i++) {
            turn(batch, runners, ran);
        }
        // Calls that take 5 ms (on the calls' clock) make the average long: the next turn's calls run side by side.
        for (int i = 0; i < 40; i++) {
            batch.add(() -> clock.addAndGet(5_000_000));
        }
        batch.flush();
        runners.awaitIdle();
        CountDownLatch allStarted = new CountDownLatch(4);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 4; i++) {
            batch.add(() -> {
                allStarted.countDown();
                await(release);
            });
        }
        batch.flush();
        try {
            assertTrue(allStarted.await(10, TimeUnit.SECONDS), "four slow calls ran at the same time, each on its own runner");
        } finally {
            release.countDown();
        }
        runners.awaitIdle();
    }

    @Test
    void aCallBehindOneThatHangsGetsARunnerAtTheNextFlushAfterTheStall() throws Exception {
        Runners runners = new Runners();
        IoBatch batch = new IoBatch(runners, clock::get);
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 20; i++) {
            turn(batch, runners, ran);
        }
        CountDownLatch hangs = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch behind = new CountDownLatch(1);
        batch.add(() -> {
            hangs.countDown();
            await(release);
        });
        batch.add(behind::countDown);
        batch.flush();
        try {
            assertTrue(hangs.await(10, TimeUnit.SECONDS), "the first call started");
            assertTrue(batch.waiting(), "the second call waits behind the first (calls are fast on average: one runner)");
            batch.flush();
            assertTrue(batch.waiting(), "no runner is added before the stall time has passed");
            clock.addAndGet(IoBatch.STALL_NANOS + 1);
            batch.flush();
            assertTrue(behind.await(10, TimeUnit.SECONDS), "the call behind the hung one ran on a runner of its own");
        } finally {
            release.countDown();
        }
        runners.awaitIdle();
    }

    @Test
    void noCallIsLeftInTheQueueWhateverTheTiming() throws Exception {
        Runners runners = new Runners();
        IoBatch batch = new IoBatch(runners);
        AtomicInteger ran = new AtomicInteger();
        int calls = 200_000;
        for (int i = 0; i < calls; i++) {
            batch.add(ran::incrementAndGet);
            if (i % 7 == 0) {
                // Flushes at odd moments, as turns end: a runner leaving an empty queue races with the next add.
                batch.flush();
            }
        }
        batch.flush();
        long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (ran.get() < calls && System.nanoTime() < giveUpAt) {
            runners.awaitIdle();
            if (ran.get() < calls) {
                Thread.onSpinWait();
            }
        }
        assertEquals(calls, ran.get(), "every call ran, none was stranded in the queue");
        assertTrue(!batch.waiting());
    }

    @Test
    void onASlowStoreACallOfALaterTurnGetsARunnerWhileTheEarlierCallsRun() throws Exception {
        // Calls that take 5 ms each: one call a turn, turns apart (renewals fall due a few at a time).
        // The runner busy in the first call will not be free for milliseconds: the second call must
        // get a runner of its own at its flush, not wait for the stall check (1 ms later, or never
        // if nothing looks again). The calls' clock stands still: no stall is ever seen here.
        Runners runners = new Runners();
        IoBatch batch = new IoBatch(runners, clock::get);
        for (int i = 0; i < 40; i++) {
            batch.add(() -> clock.addAndGet(5_000_000));
            batch.flush();
            runners.awaitIdle();
        }
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch secondStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        batch.add(() -> {
            firstStarted.countDown();
            await(release);
        });
        batch.flush();
        try {
            assertTrue(firstStarted.await(10, TimeUnit.SECONDS), "the first call started");
            batch.add(secondStarted::countDown);
            batch.flush();
            assertTrue(secondStarted.await(5, TimeUnit.SECONDS), "the second call waited for the slow call before it");
        } finally {
            release.countDown();
        }
        runners.awaitIdle();
    }

    /** Twenty turns of ten calls that take no time on the calls' clock: from then on, one runner takes a turn's calls. */
    private void timeCallsAsFast(IoBatch batch, Runners runners) throws InterruptedException {
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 20; i++) {
            turn(batch, runners, ran);
        }
    }

    @Test
    void noCallQueuedBehindARunningOneStartsAfterTheExecutorIsShutDown() throws Exception {
        // The manager closing: shutdownNow interrupts the runner in its call. A call that had not
        // started must never start after that (a write after close), as a task queued in the pool was dropped.
        Runners warm = new Runners();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(4, 4, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        try {
            java.util.concurrent.atomic.AtomicReference<Executor> target = new java.util.concurrent.atomic.AtomicReference<>(warm);
            IoBatch batch = new IoBatch(r -> target.get().execute(r), clock::get);
            timeCallsAsFast(batch, warm);
            target.set(pool);
            CountDownLatch inCall = new CountDownLatch(1);
            AtomicInteger behindRan = new AtomicInteger();
            batch.add(() -> {
                inCall.countDown();
                await(new CountDownLatch(1)); // a backend call that ends when interrupted, the flag set again
            });
            batch.add(behindRan::incrementAndGet);
            batch.flush();
            assertTrue(inCall.await(10, TimeUnit.SECONDS), "the first call started");
            assertEquals(1, pool.getActiveCount(), "one runner takes both fast calls");
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "the runner ended");
            assertEquals(0, behindRan.get(), "the call queued behind started after the I/O executor was shut down");
            assertTrue(batch.waiting(), "the call stays queued: nobody runs it");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCallThatLeavesItsThreadInterruptedDoesNotInterruptTheCallsAfterIt() throws Exception {
        // A pool clears a stray interrupt between its tasks; a runner taking calls one after the
        // other must not hand one call's interrupt to the next (its blocking I/O would fail at once).
        Runners runners = new Runners();
        IoBatch batch = new IoBatch(runners, clock::get);
        timeCallsAsFast(batch, runners);
        CountDownLatch behindRan = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean behindInterrupted = new java.util.concurrent.atomic.AtomicBoolean();
        batch.add(() -> Thread.currentThread().interrupt());
        batch.add(() -> {
            behindInterrupted.set(Thread.currentThread().isInterrupted());
            behindRan.countDown();
        });
        batch.flush();
        runners.awaitIdle();
        // The protocol thread flushes again while calls wait (its stall check): that is when a call left behind runs.
        batch.flush();
        assertTrue(behindRan.await(10, TimeUnit.SECONDS), "the call behind ran");
        assertTrue(!behindInterrupted.get(), "the call behind ran with the interrupt of the call before it");
        runners.awaitIdle();
    }

    @Test
    void aFlushTheExecutorRefusesWithNoRunnerLeftLeavesNothingWaiting() {
        // The executor stopped for good (an I/O pool shut down under a scheduler that lives on): calls
        // kept queued would have the driver look again every millisecond, forever. As when each call
        // was handed over alone, the refused calls are dropped; the protocol's timeouts answer for them.
        ExecutorService stopped = Executors.newSingleThreadExecutor();
        stopped.shutdown();
        IoBatch batch = new IoBatch(stopped, clock::get);
        AtomicInteger ran = new AtomicInteger();
        batch.add(ran::incrementAndGet);
        batch.add(ran::incrementAndGet);
        batch.flush();
        assertTrue(!batch.waiting(), "refused calls left waiting for a runner that can never start");
        assertEquals(0, ran.get());
    }

    @Test
    void runnersAShutdownNowDroppedLeaveNothingWaiting() throws Exception {
        // Found by the driver simulation: a pool whose one thread hangs in a call queues the runners
        // asked for behind it; shutdownNow drops them without running them, so the count of runners
        // never came down, no flush was refused, the calls stayed queued and the driver looked again
        // every millisecond forever. A flush that finds the pool shut down drops the calls.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        IoBatch batch = new IoBatch(pool, clock::get);
        CountDownLatch release = hangOnTheOnlyThread(batch);
        AtomicInteger ran = new AtomicInteger();
        batch.add(ran::incrementAndGet);
        clock.addAndGet(2 * IoBatch.STALL_NANOS);
        batch.flush(); // stalled: a runner for the waiting call, queued behind the hung one
        assertEquals(1, pool.getQueue().size(), "a runner waits for the pool's thread");
        pool.shutdownNow();
        release.countDown();
        batch.flush();
        assertTrue(!batch.waiting(), "calls left waiting for runners a stopped pool dropped");
        assertEquals(0, ran.get());
    }

    @Test
    void aStallAddsNoMoreRunnersThanCallsWaitingOrRunning() throws Exception {
        // With every thread of the pool in a call that hangs, a flush every millisecond used to add a
        // runner each time (up to 1,024 queued for a thread); one per call waiting or running is enough.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        try {
            IoBatch batch = new IoBatch(pool, clock::get);
            CountDownLatch release = hangOnTheOnlyThread(batch);
            CountDownLatch ran = new CountDownLatch(1);
            batch.add(ran::countDown);
            for (int i = 0; i < 50; i++) {
                clock.addAndGet(2 * IoBatch.STALL_NANOS);
                batch.flush();
            }
            assertEquals(1, pool.getQueue().size(), "one runner for the one waiting call, however many stalled flushes");
            release.countDown();
            assertTrue(ran.await(10, TimeUnit.SECONDS), "the waiting call ran once the thread was free");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFlushARunningExecutorRefusesKeepsTheCallsForTheNextFlush() throws Exception {
        // A bounded pool, full for a moment: the calls wait for the next flush rather than being lost.
        java.util.concurrent.atomic.AtomicBoolean full = new java.util.concurrent.atomic.AtomicBoolean(true);
        Runners runners = new Runners();
        IoBatch batch = new IoBatch(r -> {
            if (full.get()) {
                throw new java.util.concurrent.RejectedExecutionException("full");
            }
            runners.execute(r);
        }, clock::get);
        CountDownLatch ran = new CountDownLatch(1);
        batch.add(ran::countDown);
        batch.flush();
        assertTrue(batch.waiting(), "the refused call waits");
        full.set(false);
        batch.flush();
        assertTrue(ran.await(10, TimeUnit.SECONDS), "the call ran at the next flush");
        runners.awaitIdle();
    }

    /** Adds and hands over a call that holds the pool's one thread until the returned latch is counted down. */
    private static CountDownLatch hangOnTheOnlyThread(IoBatch batch) throws InterruptedException {
        CountDownLatch hanging = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        batch.add(() -> {
            hanging.countDown();
            await(release);
        });
        batch.flush();
        assertTrue(hanging.await(10, TimeUnit.SECONDS), "the first call hangs on the pool's one thread");
        return release;
    }

    /** Holds a call until released; longer than any assertion waits, so that a call that hangs outlasts the test's patience. */
    private static void await(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
