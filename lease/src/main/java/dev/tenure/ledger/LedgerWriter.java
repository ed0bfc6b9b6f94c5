package dev.tenure.ledger;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Appends to a {@link Ledger}. Concurrent appends are grouped into one segment (up to the batch
 * limits, waiting at most the linger time); up to {@code window} segments are written at once.
 * An append's future completes only when its segment is written and every earlier segment of
 * this writer is too, so acknowledgements follow the log's order. A writer that meets a higher
 * epoch stops: every pending append fails with {@link LedgerException.Fenced}.
 */
public final class LedgerWriter implements AutoCloseable {

    private record Pending(byte[] data, CompletableFuture<Position> future) {
    }

    private static final class Batch {
        final String id;
        final List<Pending> items;
        long seq;
        boolean written;

        Batch(String id, List<Pending> items) {
            this.id = id;
            this.items = items;
        }
    }

    private final Ledger ledger;
    private final long epoch;
    private final String writerId;
    private final boolean fenced;
    private final LedgerOptions options;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Semaphore queueSpace;
    private final Semaphore window;
    private final ExecutorService io;
    private final Thread flusher;
    private final Object lock = new Object();
    private final TreeMap<Long, Batch> inFlight = new TreeMap<>();
    private long nextSeq;
    private long batches;
    /** Every sequence up to here is known to exist: nothing this writer acknowledges sits above a gap. */
    private long frontier;
    /** Acknowledgements happen one at a time, in sequence order, after the gap check. */
    private final Object ackLock = new Object();
    private volatile LedgerException failure;
    private volatile boolean closing;
    private volatile CompletableFuture<Position> last = CompletableFuture.completedFuture(null);

    private final boolean manual;

    private LedgerWriter(Ledger ledger, long epoch, String writerId, boolean fenced, int windowSize) {
        this(ledger, epoch, writerId, fenced, windowSize, false);
    }

    private LedgerWriter(Ledger ledger, long epoch, String writerId, boolean fenced, int windowSize, boolean manual) {
        this.manual = manual;
        this.ledger = ledger;
        this.epoch = epoch;
        this.writerId = writerId;
        this.fenced = fenced;
        this.options = ledger.options();
        this.queueSpace = new Semaphore(options.maxQueuedEntries());
        this.window = new Semaphore(windowSize);
        this.io = manual ? null : Executors.newFixedThreadPool(windowSize, r -> daemon(r, "tenure-ledger-io-" + writerId));
        this.flusher = manual ? null : daemon(this::flushLoop, "tenure-ledger-flusher-" + writerId);
    }

    static LedgerWriter fenced(Ledger ledger, long epoch, String writerId) {
        LedgerWriter w = new LedgerWriter(ledger, epoch, writerId, true, ledger.options().window());
        try {
            w.fence();
        } catch (RuntimeException e) {
            w.io.shutdownNow();
            throw e;
        }
        w.flusher.start();
        return w;
    }

    /** A fenced writer with no threads: appends wait in the queue until {@link #pump()} writes them on the caller's thread. */
    static LedgerWriter manual(Ledger ledger, long epoch, String writerId) {
        LedgerWriter w = new LedgerWriter(ledger, epoch, writerId, true, 1, true);
        w.fence();
        return w;
    }

    /**
     * For a writer without threads (the simulator's): batches what is queued and writes it now, on
     * this thread, one segment at a time. Appends are acknowledged before this returns, or failed.
     */
    public void pump() {
        if (!manual) {
            throw new IllegalStateException("pump() is for writers without threads; this one writes by itself");
        }
        while (!queue.isEmpty()) {
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
            window.acquireUninterruptibly();
            Batch batch = start(items);
            if (batch != null) {
                write(batch);
            }
        }
    }

    /** Gives a batch its sequence number, or fails it (and returns null) when the writer already failed. */
    private Batch start(List<Pending> items) {
        synchronized (lock) {
            Batch batch = new Batch(writerId + "-" + epoch + "-" + (++batches), items);
            if (failure != null) {
                window.release();
                fail(batch, failure);
                return null;
            }
            batch.seq = nextSeq++;
            inFlight.put(batch.seq, batch);
            return batch;
        }
    }

    static LedgerWriter unfenced(Ledger ledger, String writerId) {
        // Without fencing, a batch that loses its sequence to another writer moves to the tail; one
        // segment in flight at a time keeps this writer's entries in the order they were appended.
        LedgerWriter w = new LedgerWriter(ledger, 0, writerId, false, 1);
        long tail = ledger.findTail(ledger.lowSeq());
        w.fillGaps(Math.max(ledger.lowSeq(), tail - GAP_SCAN + 1), tail);
        w.frontier = tail;
        w.nextSeq = tail + 1;
        w.flusher.start();
        return w;
    }

    /** The epoch this writer writes with (0 in multi-writer mode). */
    public long epoch() {
        return epoch;
    }

    /**
     * Queues {@code data}; blocks while the queue is full (backpressure). The future completes
     * with the entry's position once it is durable, or fails ({@link LedgerException.Fenced},
     * {@link LedgerException.Closed}, or the backend's error).
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

    /** Waits until everything appended so far is durable (or failed). */
    public void flush() throws InterruptedException {
        if (manual) {
            pump();
            return;
        }
        try {
            last.exceptionally(e -> null).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes what is queued, then stops. */
    @Override
    public void close() {
        closing = true;
        try {
            flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!manual) {
            flusher.interrupt();
            io.shutdown();
        }
        failAll(new LedgerException.Closed("ledger writer " + writerId + " is closed", null));
    }

    /** For crash tests: stops at once, as a killed process would; writes already sent may still land. */
    void kill() {
        closing = true;
        if (!manual) {
            flusher.interrupt();
            io.shutdownNow();
        }
    }

    private CompletableFuture<Position> enqueue(byte[] data) {
        CompletableFuture<Position> f = new CompletableFuture<>();
        queue.add(new Pending(data.clone(), f));
        last = f;
        LedgerException failed = failure;
        if (failed != null) {
            failAll(failed);
        }
        return f;
    }

    private void checkOpen() {
        LedgerException failed = failure;
        if (failed != null) {
            throw failed;
        }
        if (closing) {
            throw new LedgerException.Closed("ledger writer " + writerId + " is closed", null);
        }
    }

    // ---- fencing -------------------------------------------------------------------------------

    /**
     * Raises the ledger's epoch record to ours with compare-and-swap, refusing when it is higher:
     * a writer holding a stale token cannot even open, so it can never acknowledge an append that
     * readers would skip.
     */
    private void claimEpoch() {
        long stored = ledger.raiseTo(ledger.epochKey(), epoch);
        if (stored > epoch) {
            throw new LedgerException.Fenced("ledger " + ledger.name() + " belongs to epoch " + stored + "; this writer has epoch " + epoch);
        }
    }

    private void fence() {
        claimEpoch();
        long seq = ledger.findTail(ledger.lowSeq()) + 1;
        // A writer that died with writes in flight may have left gaps just below the tail (at most
        // its window deep); fill them, so readers, who stop at a gap, see past them.
        fillGaps(Math.max(ledger.lowSeq(), seq - GAP_SCAN), seq - 1);
        String batchId = writerId + "-fence-" + epoch;
        Segment fence = new Segment(seq, epoch, writerId, batchId, true, List.of());
        int attempt = 0;
        while (true) {
            fence = new Segment(seq, epoch, writerId, batchId, true, List.of());
            try {
                ledger.backend().put(ledger.segmentKey(seq), fence.encode(), ConditionalPut.ifAbsent());
                ledger.remember(fence);
                nextSeq = seq + 1;
                frontier = seq;
                return;
            } catch (BackendException e) {
                if (e.kind() == BackendException.Kind.PRECONDITION_FAILED || e.ambiguous()) {
                    Optional<Segment> there = ledger.segment(seq);
                    if (there.isPresent() && there.get().batchId().equals(batchId)) {
                        nextSeq = seq + 1;
                        frontier = seq;
                        return;
                    }
                    if (there.isPresent() && there.get().epoch() > epoch) {
                        throw new LedgerException.Fenced("ledger " + ledger.name() + " was fenced at epoch " + there.get().epoch()
                                + " by " + there.get().writer() + "; this writer has epoch " + epoch);
                    }
                    if (there.isPresent()) {
                        seq = ledger.findTail(seq) + 1;
                    }
                } else if (!e.retryable() || !options.retry().allowsAnotherAttempt(++attempt)) {
                    throw e;
                } else {
                    backoff(attempt);
                }
            }
        }
    }

    // ---- batching ------------------------------------------------------------------------------

    private void flushLoop() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
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
                        if (left <= 0) {
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
                window.acquire();
                Batch batch = start(items);
                if (batch != null) {
                    io.execute(() -> write(batch));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void write(Batch batch) {
        try {
            writeOrFail(batch);
        } catch (RuntimeException e) {
            failAll(new LedgerException.Closed("ledger writer " + writerId + " stopped: " + e.getMessage(), e));
        } finally {
            window.release();
        }
    }

    private void writeOrFail(Batch batch) {
        int attempt = 0;
        {
            while (true) {
                if (failure != null) {
                    return;
                }
                List<byte[]> data = batch.items.stream().map(Pending::data).toList();
                Segment segment = new Segment(batch.seq, epoch, writerId, batch.id, false, data);
                try {
                    ledger.backend().put(ledger.segmentKey(batch.seq), segment.encode(), ConditionalPut.ifAbsent());
                    ledger.remember(segment);
                    written(batch);
                    return;
                } catch (BackendException e) {
                    if (e.kind() == BackendException.Kind.PRECONDITION_FAILED || e.ambiguous()) {
                        Optional<Segment> there = ledger.segment(batch.seq);
                        if (there.isEmpty()) {
                            continue; // An ambiguous write that did not land: the same sequence is still free.
                        }
                        if (there.get().batchId().equals(batch.id)) {
                            written(batch); // Exactly once: the ambiguous write had landed.
                            return;
                        }
                        if (fenced && there.get().epoch() > epoch) {
                            failAll(new LedgerException.Fenced("ledger " + ledger.name() + " was fenced at epoch " + there.get().epoch()
                                    + " by " + there.get().writer() + "; this writer has epoch " + epoch));
                            return;
                        }
                        moveToTail(batch);
                    } else if (e.retryable() && options.retry().allowsAnotherAttempt(++attempt)) {
                        backoff(attempt);
                    } else {
                        failAll(new LedgerException.Closed("ledger writer " + writerId + " stopped: " + e.getMessage(), e));
                        return;
                    }
                }
            }
        }
    }

    /** The sequence was taken by another writer (or a stale one): write this batch after the current tail. */
    private void moveToTail(Batch batch) {
        long tail = ledger.findTail(batch.seq);
        synchronized (lock) {
            inFlight.remove(batch.seq);
            batch.seq = Math.max(nextSeq, tail + 1);
            nextSeq = batch.seq + 1;
            inFlight.put(batch.seq, batch);
        }
    }

    private void written(Batch batch) {
        synchronized (lock) {
            batch.written = true;
        }
        synchronized (ackLock) {
            while (true) {
                Batch next;
                synchronized (lock) {
                    if (inFlight.isEmpty() || !inFlight.firstEntry().getValue().written) {
                        return;
                    }
                    next = inFlight.pollFirstEntry().getValue();
                }
                // Sequences between the frontier and this batch belong to others (or to nobody yet):
                // make sure none is a gap before acknowledging, or readers would never reach this batch.
                try {
                    fillGaps(frontier + 1, next.seq - 1);
                } catch (RuntimeException e) {
                    LedgerException stopped = new LedgerException.Closed("ledger writer " + writerId + " stopped: " + e.getMessage(), e);
                    fail(next, stopped);
                    failAll(stopped);
                    return;
                }
                frontier = Math.max(frontier, next.seq);
                for (int i = 0; i < next.items.size(); i++) {
                    next.items.get(i).future().complete(new Position(next.seq, i));
                }
                queueSpace.release(next.items.size());
            }
        }
    }

    /** How far below the tail a new writer looks for gaps: the largest window a writer may use. */
    static final int GAP_SCAN = LedgerOptions.MAX_WINDOW;

    /** Writes an empty filler segment at every missing sequence in {@code [from, to]}; a sequence someone else fills first is fine. */
    private void fillGaps(long from, long to) {
        for (long seq = Math.max(1, from); seq <= to; seq++) {
            int attempt = 0;
            while (!ledger.exists(seq)) {
                Segment filler = new Segment(seq, epoch, writerId, writerId + "-filler-" + epoch + "-" + seq, true, List.of());
                try {
                    ledger.backend().put(ledger.segmentKey(seq), filler.encode(), ConditionalPut.ifAbsent());
                    ledger.remember(filler);
                } catch (BackendException e) {
                    // Taken meanwhile, or unknown: the loop looks again. Anything else is retried, then given up.
                    boolean lookAgain = e.kind() == BackendException.Kind.PRECONDITION_FAILED || e.ambiguous();
                    if (!lookAgain && !(e.retryable() && options.retry().allowsAnotherAttempt(++attempt))) {
                        throw e;
                    }
                    if (!lookAgain) {
                        backoff(attempt);
                    }
                }
            }
        }
    }

    private void failAll(LedgerException e) {
        List<Batch> failed;
        List<Pending> queued = new ArrayList<>();
        synchronized (lock) {
            if (failure == null) {
                failure = e;
            }
            failed = new ArrayList<>(inFlight.values());
            inFlight.clear();
            queue.drainTo(queued);
        }
        for (Batch b : failed) {
            fail(b, failure);
        }
        for (Pending p : queued) {
            p.future().completeExceptionally(failure);
            queueSpace.release();
        }
    }

    private void fail(Batch b, LedgerException e) {
        for (Pending p : b.items) {
            p.future().completeExceptionally(e);
        }
        queueSpace.release(b.items.size());
    }

    private void backoff(int attempt) {
        LockSupport.parkNanos(options.retry().backoff(attempt, java.util.concurrent.ThreadLocalRandom.current()).toNanos());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

}
