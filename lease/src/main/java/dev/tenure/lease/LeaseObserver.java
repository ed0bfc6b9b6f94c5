package dev.tenure.lease;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.lease.protocol.LeaseRecord;
import dev.tenure.lease.protocol.LeaseRecordCodec;
import dev.tenure.lease.protocol.Saturating;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;

/**
 * A view of one lease without contending for it, for reader replicas and dashboards (made by
 * {@link LeaseManager#observe}). It reads the record now and every renew interval; {@link #current()}
 * answers from the last read without a request. Closing stops the reads.
 *
 * <p>Age is measured the way the protocol judges expiry: on this node's monotonic clock, from the
 * moment this observer first saw the current record version (never from the writer's wall clock).
 * Since reads come every renew interval, a version may be up to one interval older than it says.
 *
 * <p>Once the reads stop (this observer or its manager closed), the view is {@linkplain View#stale()
 * stale}: age and expiry are frozen at the last successful read, since this node no longer knows
 * whether the record changed after it. Ageing on would report a lease that its holder goes on
 * renewing as expired, with no leader. {@link #refresh()} still reads on the calling thread.
 */
public final class LeaseObserver implements AutoCloseable {

    /**
     * What the last read showed.
     *
     * @param name the lease name
     * @param exists false when no record exists yet (nobody ever held the lease)
     * @param holder the holder the record names (also when released: the last holder)
     * @param epoch the record's epoch (the fencing token of its holder); 0 when there is no record
     * @param released true when the last holder let go (anyone may take it at once)
     * @param unchangedFor how long this node has seen this record version unchanged, on its own clock
     * @param expired true when the record is neither released nor renewed for its TTL plus this
     *        manager's skew margin: a contender on this node could take it now
     * @param stale true when this observer reads no more (it or its manager was closed): the view is
     *        as of the last successful read, its age measured up to that read, and says nothing of now
     */
    public record View(String name, boolean exists, Optional<String> holder, long epoch, boolean released, Duration unchangedFor,
            boolean expired, boolean stale) {

        /** The holder while the lease is held (neither released nor expired here), else empty. */
        public Optional<String> leader() {
            return released || expired ? Optional.empty() : holder;
        }
    }

    private final LeaseDriver driver;
    private final String name;
    private final String key;
    private ObjectVersion version;
    private LeaseRecord record;
    private long firstSeenNanos;
    /** When the last successful read answered: a stale view's age stops there. */
    private long lastReadNanos;
    private boolean read;
    private RuntimeException lastError;
    private LeaseScheduler.Cancellable timer;
    private volatile boolean closed;
    /** True once the manager that made this observer closed: its threads no longer read for us. */
    private final BooleanSupplier managerClosed;

    LeaseObserver(LeaseDriver driver, String name, BooleanSupplier managerClosed) {
        this.driver = driver;
        this.name = name;
        this.managerClosed = managerClosed;
        this.key = driver.config().keyPrefix() + name;
    }

    /** The lease name. */
    public String name() {
        return name;
    }

    /**
     * The view from the last successful read, its age brought up to now while this observer reads;
     * once it stopped reading (it or its manager closed) the view is {@linkplain View#stale() stale},
     * aged only up to the last successful read. Empty before the first read answered.
     */
    public synchronized Optional<View> current() {
        return read ? Optional.of(view()) : Optional.empty();
    }

    /**
     * Reads the record now, on the calling thread, and returns the view.
     *
     * @throws BackendException when the store fails (the last view is kept)
     * @throws LeaseRecordException when the record is corrupt
     */
    public View refresh() {
        Optional<Versioned<byte[]>> found = driver.backend().read(key);
        long now = driver.nanoTime();
        synchronized (this) {
            apply(found, now);
            return view();
        }
    }

    /** The error of the last read, if it failed (a later successful read clears it). */
    public synchronized Optional<RuntimeException> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** Stops the periodic reads; from now on {@link #current()} is stale. */
    @Override
    public synchronized void close() {
        closed = true;
        if (timer != null) {
            timer.cancel();
        }
    }

    void start() {
        poll();
    }

    private void poll() {
        if (closed) {
            return;
        }
        try {
            driver.io(() -> {
                try {
                    refresh();
                } catch (RuntimeException e) {
                    synchronized (this) {
                        lastError = e;
                    }
                }
                synchronized (this) {
                    if (!closed) {
                        timer = driver.schedule(this::poll, driver.config().renewInterval().toNanos()).orElse(null);
                    }
                }
            });
        } catch (RejectedExecutionException stopped) {
            closed = true; // the manager has stopped
        }
    }

    private void apply(Optional<Versioned<byte[]>> found, long now) {
        if (found.isEmpty()) {
            if (version != null || !read) {
                firstSeenNanos = now;
            }
            version = null;
            record = null;
        } else {
            LeaseRecord decoded = LeaseRecordCodec.decode(key, found.get().value());
            if (!found.get().version().equals(version)) {
                firstSeenNanos = now;
            }
            version = found.get().version();
            record = decoded;
        }
        read = true;
        lastReadNanos = now;
        lastError = null;
    }

    private View view() {
        boolean stale = closed || managerClosed.getAsBoolean();
        long age = Math.max(0, (stale ? lastReadNanos : driver.nanoTime()) - firstSeenNanos);
        if (record == null) {
            return new View(name, false, Optional.empty(), 0, false, Duration.ofNanos(age), false, stale);
        }
        // Records are bounds-checked on decode, so the TTL in nanoseconds cannot overflow.
        boolean expired = !record.released() && age >= Saturating.add(Saturating.nanos(Duration.ofMillis(record.ttlMillis())),
                driver.config().skewMargin().toNanos());
        return new View(name, true, Optional.of(record.holder()), record.epoch(), record.released(), Duration.ofNanos(age), expired, stale);
    }
}
