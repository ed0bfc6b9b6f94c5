package dev.tenure.ledger;

import dev.tenure.ledger.protocol.LedgerWriterMachine;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.lease.Lease;
import dev.tenure.metrics.internal.LedgerEvents;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Appends to a {@link Ledger}. Concurrent appends are grouped into one segment (up to the batch
 * limits, waiting at most the linger time); up to {@code window} segments not yet acknowledged
 * are in flight. An append's future completes only when its segment is written and readers will
 * see it, in append order. The protocol itself (fencing, resolving lost answers, filling gaps,
 * deciding what is acknowledged) lives in {@link LedgerWriterMachine}; this class only carries out
 * its commands on threads.
 *
 * <p>Futures fail with {@link LedgerException.Fenced} (a newer writer took over; the entry is not
 * in the log), {@link LedgerException.Closed} (the writer stopped before writing it; not in the
 * log) or {@link LedgerException.OutcomeUnknown} (it may be in the log: do not blindly retry).
 */
public final class LedgerWriter implements AutoCloseable {

    private record Pending(byte[] data, CompletableFuture<Position> future, long queuedAt) {
    }

    private final Ledger ledger;
    private final AtomicRemoteBackend backend;
    private final LedgerWriterMachine machine;
    private final String writerId;
    private final LedgerOptions options;
    private final boolean manual;
    /** Log lines and metrics. */
    private final LedgerEvents events;
    /** Guards the machine and {@link #batches}; commands are handed on under it, so their order is the machine's. */
    private final Object lock = new Object();
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Semaphore queueSpace;
    /** Every future handed out and not yet completed: what flush() and close() wait for. */
    private final Set<CompletableFuture<Position>> outstanding = ConcurrentHashMap.newKeySet();
    private final Map<Long, List<Pending>> batches = new HashMap<>();
    private long batchNo;
    private final ExecutorService io;
    private final ScheduledExecutorService timers;
    /** Completes futures one at a time, in the machine's order, off the lock (callbacks may block). */
    private final ExecutorService completer;
    private final Thread flusher;
    /** Manual mode: work carried out by pump() on the caller's thread. */
    private final ArrayDeque<Runnable> trampoline = new ArrayDeque<>();
    private final CompletableFuture<Long> opened = new CompletableFuture<>();
    /** Serialises the closing check with registering an append, so close() never misses one. */
    private final Object appendLock = new Object();
    private volatile RuntimeException failure;
    private volatile boolean closing;
    private volatile boolean stopThreads;
    /** Set (under {@link #lock}) when the lease this writer is bound to ended: no batch is submitted after it. */
    private volatile LedgerException.Closed leaseEnded;
    /** The lease this writer is bound to, if any: checked again before every segment is submitted. */
    private volatile Lease bound;

    private LedgerWriter(Ledger ledger, LedgerWriterMachine machine, boolean manual) {
        this.ledger = ledger;
        this.backend = ledger.backend();
        this.machine = machine;
        this.writerId = machine.writerId();
        this.options = ledger.options();
        this.manual = manual;
        this.events = new LedgerEvents(ledger.name(), writerId, options.observer());
        this.queueSpace = new Semaphore(options.maxQueuedEntries());
        if (manual) {
            this.io = null;
            this.timers = null;
            this.completer = null;
            this.flusher = null;
        } else {
            this.io = Executors.newFixedThreadPool(options.window() + 2, r -> daemon(r, "tenure-ledger-io-" + writerId));
            this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tenure-ledger-timer-" + writerId));
            this.completer = Executors.newSingleThreadExecutor(r -> daemon(r, "tenure-ledger-ack-" + writerId));
            this.flusher = daemon(this::flushLoop, "tenure-ledger-flusher-" + writerId);
        }
    }

    static LedgerWriter fenced(Ledger ledger, long epoch, String writerId) {
        return open(ledger, LedgerWriterMachine.fenced(ledger.name(), epoch, writerId, ledger.options(), random()), false);
    }

    /** A fenced writer with no threads: appends wait in the queue until {@link #pump()} writes them on the caller's thread. */
    static LedgerWriter manual(Ledger ledger, long epoch, String writerId) {
        return open(ledger, LedgerWriterMachine.fenced(ledger.name(), epoch, writerId, ledger.options(), random()), true);
    }

    static LedgerWriter unfenced(Ledger ledger, String writerId) {
        return open(ledger, LedgerWriterMachine.unfenced(ledger.name(), writerId, ledger.options(), random()), false);
    }

    /** For tests: a writer driving a given (possibly mutated) machine. */
    static LedgerWriter driving(Ledger ledger, LedgerWriterMachine machine) {
        return open(ledger, machine, false);
    }

    /** For tests: a writer without threads driving a given (possibly mutated) machine. */
    static LedgerWriter manualDriving(Ledger ledger, LedgerWriterMachine machine) {
        return open(ledger, machine, true);
    }

    private static SplittableRandom random() {
        // The nonce in batch ids must differ across processes and incarnations: seed from a strong source.
        return new SplittableRandom(new SecureRandom().nextLong());
    }

    private static LedgerWriter open(Ledger ledger, LedgerWriterMachine machine, boolean manual) {
        LedgerWriter w = new LedgerWriter(ledger, machine, manual);
        synchronized (w.lock) {
            w.dispatch(machine.open(System.nanoTime()));
        }
        if (manual) {
            w.drain();
        }
        try {
            w.opened.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            w.kill();
            throw new LedgerException.Closed("interrupted while opening ledger writer " + w.writerId, e);
        } catch (ExecutionException e) {
            w.kill();
            throw e.getCause() instanceof RuntimeException re ? re : new LedgerException.Closed(e.getMessage(), e.getCause());
        }
        if (!manual) {
            w.flusher.start();
        }
        return w;
    }

    /** The epoch this writer writes with (0 in multi-writer mode). */
    public long epoch() {
        return machine.epoch();
    }

    /**
     * Queues {@code data}; blocks while the queue is full (backpressure). The future completes
     * with the entry's position once it is durable and readable, or fails (see the class comment).
     */
    public CompletableFuture<Position> append(byte[] data) throws InterruptedException {
        checkOpen();
        queueSpace.acquire();
        return enqueue(data);
    }

    /** As {@link #append}, but refuses at once when the queue is full. */
    public Optional<CompletableFuture<Position>> tryAppend(byte[] data) {
        checkOpen();
        if (!queueSpace.tryAcquire()) {
            return Optional.empty();
        }
        return Optional.of(enqueue(data));
    }

    /**
     * For a writer without threads (made by {@link Ledger#manualWriter}): batches what is queued
     * and carries out the writes on this thread. Appends are acknowledged or failed before this returns.
     */
    public void pump() {
        if (!manual) {
            throw new IllegalStateException("pump() is for writers without threads; this one writes by itself");
        }
        drain();
    }

    /** Waits until every append that returned before this call is acknowledged or failed. */
    public void flush() throws InterruptedException {
        if (manual) {
            pump();
            return;
        }
        List<CompletableFuture<Position>> snapshot = new ArrayList<>(outstanding);
        try {
            CompletableFuture.allOf(snapshot.toArray(CompletableFuture[]::new)).exceptionally(e -> null).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Binds this writer to {@code lease}: when the lease ends (revoked, released, its election or
     * manager closed; see {@link Lease#whenLost()}) the writer closes itself. From that moment no
     * new segment is sent: appends are refused, and every append still queued (not yet in a
     * segment) fails with {@link LedgerException.Closed} naming the lease's end: it is not in the
     * log. A segment already sent is decided by the protocol as usual: acknowledged only if it is
     * in the log for readers, else {@link LedgerException.Fenced} or, when it cannot be known,
     * {@link LedgerException.OutcomeUnknown}; never reported as written when it is not. A writer
     * without threads finishes its segments in flight at the next {@link #pump()}.
     *
     * @return this writer
     * @throws IllegalArgumentException when the lease's epoch is not this writer's
     */
    public LedgerWriter closeWhenLost(Lease lease) {
        if (lease.fencingToken().epoch() != machine.epoch()) {
            throw new IllegalArgumentException("ledger writer " + writerId + " writes at epoch " + machine.epoch()
                    + ", not with lease " + lease.fencingToken());
        }
        this.bound = lease;
        lease.whenLost().thenAccept(r -> leaseEnded(r.toString(), false));
        return this;
    }

    /**
     * The bound lease ended: refuse appends, fail what is queued, let what was sent settle, then
     * stop (off the caller's thread). {@code deferred} when called with {@link #lock} held: futures
     * are then completed off the lock.
     */
    private void leaseEnded(String why, boolean deferred) {
        LedgerException.Closed ended = new LedgerException.Closed("ledger writer " + writerId + " closed itself: " + why, null);
        synchronized (lock) {
            if (leaseEnded != null) {
                return;
            }
            leaseEnded = ended;
        }
        synchronized (appendLock) {
            closing = true;
        }
        if (failure == null) {
            failure = ended;
        }
        for (Pending p = queue.poll(); p != null; p = queue.poll()) {
            Pending queued = p;
            if (deferred) {
                complete(() -> finish(queued, null, ended));
            } else {
                finish(queued, null, ended);
            }
        }
        if (!manual) {
            // close() waits for segments in flight; neither the lease's callback thread nor the flusher may.
            daemon(this::shutDown, "tenure-ledger-close-" + writerId).start();
        }
    }

    /** Refuses new appends, waits until every queued append is acknowledged or failed, then stops the threads. */
    @Override
    public void close() {
        synchronized (appendLock) {
            if (closing && leaseEnded == null) {
                return;
            }
            closing = true;
        }
        shutDown();
    }

    private void shutDown() {
        try {
            flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopThreads();
        events.closed(machine.epoch());
        LedgerException closed = new LedgerException.Closed("ledger writer " + writerId + " is closed", null);
        for (CompletableFuture<Position> f : List.copyOf(outstanding)) {
            // Only when close() was interrupted: these were never acknowledged, and their outcome is not known.
            f.completeExceptionally(new LedgerException.OutcomeUnknown("ledger writer " + writerId + " closed while the append was in flight", closed));
        }
    }

    /** For crash tests: stops at once, as a killed process would; writes already sent may still land. */
    void kill() {
        closing = true;
        stopThreads();
    }

    private void stopThreads() {
        stopThreads = true;
        if (!manual) {
            flusher.interrupt();
            io.shutdownNow();
            timers.shutdownNow();
            completer.shutdown();
        }
    }

    private CompletableFuture<Position> enqueue(byte[] data) {
        CompletableFuture<Position> f = new CompletableFuture<>();
        synchronized (appendLock) {
            if (closing) {
                queueSpace.release();
                throw new LedgerException.Closed("ledger writer " + writerId + " is closed", null);
            }
            outstanding.add(f);
            queue.add(new Pending(data.clone(), f, System.nanoTime()));
            events.queued();
        }
        return f;
    }

    private void checkOpen() {
        RuntimeException failed = failure;
        if (failed != null) {
            throw failed;
        }
        if (closing) {
            throw new LedgerException.Closed("ledger writer " + writerId + " is closed", null);
        }
    }

    // ---- batching ------------------------------------------------------------------------------

    private void flushLoop() {
        try {
            while (!stopThreads) {
                synchronized (lock) {
                    while (!machine.hasRoom() && !stopThreads) {
                        lock.wait(50);
                    }
                }
                Pending first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                List<Pending> items = new ArrayList<>();
                items.add(first);
                long bytes = first.data().length;
                long lingerUntil = System.nanoTime() + options.linger().toNanos();
                while (items.size() < options.maxBatchEntries() && bytes < options.maxBatchBytes()) {
                    Pending more = queue.poll();
                    if (more == null) {
                        long left = lingerUntil - System.nanoTime();
                        if (left <= 0 || closing) {
                            break;
                        }
                        more = queue.poll(left, TimeUnit.NANOSECONDS);
                        if (more == null) {
                            break;
                        }
                    }
                    items.add(more);
                    bytes += more.data().length;
                }
                submit(items);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void submit(List<Pending> items) {
        synchronized (lock) {
            Lease l = bound;
            if (leaseEnded == null && l != null && !l.isValid()) {
                // Checked on the lease itself, not only when told: its callback may still be on its way.
                leaseEnded(l.revocation().map(Object::toString).orElse("lease " + l.fencingToken() + " is no longer valid"), true);
            }
            if (leaseEnded != null) {
                // Polled before the lease ended: never sent after it.
                items.forEach(p -> complete(() -> finish(p, null, leaseEnded)));
                return;
            }
            long no = ++batchNo;
            batches.put(no, items);
            events.batch(items.size(), items.stream().mapToLong(p -> p.data().length).sum());
            dispatch(machine.onBatch(System.nanoTime(), no, items.stream().map(Pending::data).toList()));
        }
    }

    /** Manual mode: forms batches and carries out the machine's commands until nothing is left to do. */
    private void drain() {
        while (true) {
            Runnable next;
            synchronized (lock) {
                next = trampoline.poll();
            }
            if (next != null) {
                next.run();
                continue;
            }
            boolean room;
            synchronized (lock) {
                room = machine.hasRoom();
            }
            if (!room || queue.isEmpty()) {
                return;
            }
            List<Pending> items = new ArrayList<>();
            long bytes = 0;
            while (items.size() < options.maxBatchEntries() && bytes < options.maxBatchBytes()) {
                Pending more = queue.poll();
                if (more == null) {
                    break;
                }
                items.add(more);
                bytes += more.data().length;
            }
            submit(items);
        }
    }

    // ---- carrying out commands -----------------------------------------------------------------

    /** Hands each command on; called with {@link #lock} held, so nothing here blocks. */
    private void dispatch(List<LedgerWriterMachine.Command> commands) {
        // Refuse new appends before any failed future can be seen: a caller that saw Fenced must not append again.
        machine.stopReason().ifPresent(reason -> failure = reason);
        for (LedgerWriterMachine.Command c : commands) {
            if (c instanceof LedgerWriterMachine.Put p) {
                run(() -> put(p));
            } else if (c instanceof LedgerWriterMachine.Read r) {
                run(() -> read(r));
            } else if (c instanceof LedgerWriterMachine.SetTimer t) {
                Runnable fire = () -> {
                    synchronized (lock) {
                        dispatch(machine.onTimer(t.token(), System.nanoTime()));
                    }
                };
                if (manual) {
                    trampoline.add(fire); // No real time passes for a pumped writer: the backoff is skipped, the attempt bound still holds.
                } else if (!stopThreads) {
                    long delay = Math.max(0, t.atNanos() - System.nanoTime());
                    try {
                        timers.schedule(fire, delay, TimeUnit.NANOSECONDS);
                    } catch (java.util.concurrent.RejectedExecutionException stopping) {
                        // Killed or closed: nothing more happens.
                    }
                }
            } else if (c instanceof LedgerWriterMachine.Acknowledge a) {
                List<Pending> items = batches.remove(a.batch());
                complete(() -> {
                    for (int i = 0; i < items.size(); i++) {
                        finish(items.get(i), new Position(a.segment(), i), null);
                    }
                });
            } else if (c instanceof LedgerWriterMachine.Fail f) {
                List<Pending> items = batches.remove(f.batch());
                complete(() -> items.forEach(p -> finish(p, null, f.error())));
            } else if (c instanceof LedgerWriterMachine.Opened o) {
                events.opened(machine.epoch(), o.fenceSegment());
                opened.complete(1L);
            } else if (c instanceof LedgerWriterMachine.Stopped s) {
                events.stopped(machine.epoch(), s.error());
                failure = s.error();
                opened.completeExceptionally(s.error());
            }
        }
        lock.notifyAll();
    }

    private void finish(Pending p, Position at, RuntimeException error) {
        if (error == null) {
            p.future().complete(at);
        } else {
            p.future().completeExceptionally(error);
        }
        outstanding.remove(p.future());
        queueSpace.release();
        events.done(error == null, System.nanoTime() - p.queuedAt());
    }

    private void run(Runnable request) {
        if (manual) {
            trampoline.add(request);
        } else if (!stopThreads) {
            try {
                io.execute(request);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // Killed or closed.
            }
        }
    }

    private void complete(Runnable completion) {
        if (manual) {
            trampoline.add(completion);
        } else {
            try {
                completer.execute(completion);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                completion.run(); // Closing: complete on this thread rather than leave a future hanging.
            }
        }
    }

    private void put(LedgerWriterMachine.Put p) {
        ObjectVersion written = null;
        BackendException failed = null;
        try {
            written = backend.put(p.key(), p.bytes(), p.condition());
        } catch (BackendException e) {
            failed = e;
        } catch (RuntimeException e) {
            // Not a failure the backend classified: it may have been applied.
            failed = BackendException.transport(p.key(), true, "unexpected failure: " + e, e);
        }
        if (stopThreads && !manual) {
            return;
        }
        synchronized (lock) {
            dispatch(machine.onPut(p.requestId(), System.nanoTime(), written, failed));
        }
    }

    private void read(LedgerWriterMachine.Read r) {
        Optional<Versioned<byte[]>> found = Optional.empty();
        BackendException failed = null;
        try {
            found = backend.read(r.key());
        } catch (BackendException e) {
            failed = e;
        } catch (RuntimeException e) {
            failed = BackendException.transport(r.key(), false, "unexpected failure: " + e, e);
        }
        if (stopThreads && !manual) {
            return;
        }
        synchronized (lock) {
            dispatch(machine.onRead(r.requestId(), System.nanoTime(), found, failed));
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
