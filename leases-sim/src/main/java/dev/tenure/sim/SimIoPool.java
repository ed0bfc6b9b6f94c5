package dev.tenure.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A node's I/O pool in the driver simulation: a fixed number of {@link TurnThread}s taking tasks in
 * order, with a thread pool's rules: a free thread takes the next task, a thread clears a leftover
 * interrupt between tasks unless the pool is stopping, {@link #shutdownNow} drops the queued tasks,
 * refuses new ones and interrupts the threads in a task. Everything runs on the simulation's turn.
 */
final class SimIoPool extends AbstractExecutorService {

    /** One pool thread, and the backend call it is blocked in (null when none). */
    final class Worker {
        final TurnThread thread;
        DriverSimulation.Call call;
        boolean inTask;

        Worker(String name) {
            this.thread = new TurnThread(name, this::loop);
        }

        private void loop() {
            while (true) {
                Runnable task = queue.poll();
                if (task == null) {
                    idle.add(this);
                    thread.park();
                    continue;
                }
                if (!shutdown) {
                    Thread.interrupted(); // a pool clears what a task left behind before the next one
                }
                inTask = true;
                try {
                    task.run();
                } catch (RuntimeException e) {
                    failures.accept(e);
                } finally {
                    inTask = false;
                }
            }
        }
    }

    private final String name;
    private final int size;
    /** Runs an action on the simulation's thread at the current instant, after what is queued for it. */
    private final Consumer<Runnable> soon;
    private final Consumer<RuntimeException> failures;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private final List<Worker> workers = new ArrayList<>();
    private final ArrayDeque<Worker> idle = new ArrayDeque<>();
    private boolean shutdown;
    private boolean dispatchQueued;

    SimIoPool(String name, int size, Consumer<Runnable> soon, Consumer<RuntimeException> failures) {
        this.name = name;
        this.size = size;
        this.soon = soon;
        this.failures = failures;
    }

    /** A thread of the pool is free (idle, or not yet started). */
    boolean hasIdleThread() {
        return !shutdown && (!idle.isEmpty() || workers.size() < size);
    }

    int size() {
        return size;
    }

    /** The worker whose thread is the caller's; null on any other thread. */
    Worker current() {
        for (Worker w : workers) {
            if (w.thread.isCurrent()) {
                return w;
            }
        }
        return null;
    }

    @Override
    public void execute(Runnable task) {
        if (shutdown) {
            throw new RejectedExecutionException("the I/O pool " + name + " has shut down");
        }
        queue.add(task);
        if (!dispatchQueued && (!idle.isEmpty() || workers.size() < size)) {
            dispatchQueued = true;
            soon.accept(this::dispatch);
        }
    }

    /** Gives queued tasks to free threads (simulation's thread). */
    private void dispatch() {
        dispatchQueued = false;
        while (!queue.isEmpty() && !shutdown) {
            Worker w = idle.poll();
            if (w == null) {
                if (workers.size() >= size) {
                    return;
                }
                w = new Worker(name + "-" + workers.size());
                workers.add(w);
            }
            w.thread.turn();
        }
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    /**
     * Stops the pool as {@code ThreadPoolExecutor.shutdownNow} does: queued tasks dropped, new ones
     * refused, threads in a task interrupted. A thread blocked in a backend call sees the interrupt
     * there ({@code wake} ends the call).
     */
    @Override
    public List<Runnable> shutdownNow() {
        shutdown = true;
        List<Runnable> dropped = new ArrayList<>(queue);
        queue.clear();
        for (Worker w : workers) {
            if (w.inTask) {
                w.thread.interrupt();
                if (w.call != null) {
                    DriverSimulation.Call call = w.call;
                    soon.accept(() -> call.interrupted());
                }
            }
        }
        return dropped;
    }

    /** The node crashed: every thread ends where it is. */
    void kill() {
        shutdown = true;
        queue.clear();
        for (Worker w : workers) {
            w.thread.kill();
        }
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown && workers.stream().noneMatch(w -> w.inTask);
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        throw new UnsupportedOperationException("the simulation never waits for a pool");
    }
}
