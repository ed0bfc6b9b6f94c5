package dev.tenure.lease;

import dev.tenure.lease.protocol.LeaseMachine;
import dev.tenure.lease.protocol.LeaseRecordCodec;
import dev.tenure.lease.protocol.Saturating;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.RemoteBackend;
import dev.tenure.metrics.TenureObserver;
import dev.tenure.metrics.internal.LeaseEvents;
import dev.tenure.retry.RetryPolicy;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;

/**
 * Writer leases for one holder on one atomic backend: {@link #tryAcquire}, {@link #acquire},
 * {@link #elect}. Build with {@link #builder(AtomicRemoteBackend, String)}; a timing that cannot
 * be safe is refused with the numbers. Closing releases every lease and stops every election.
 *
 * <pre>{@code
 * try (LeaseManager leases = LeaseManager.builder(backend, "replica-1").ttl(Duration.ofSeconds(10)).build();
 *      Lease lease = leases.acquire("writer", Duration.ofSeconds(30))) {
 *     lease.checkValid();
 *     writeWith(lease.fencingToken());
 * }
 * }</pre>
 */
public final class LeaseManager implements AutoCloseable {

    private final LeaseDriver driver;
    private final LeaseScheduler scheduler;
    private final boolean ownsScheduler;
    private final ExecutorService ownedIo;
    private final ExecutorService ownedCallbacks;
    private final AtomicBoolean closed = new AtomicBoolean();
    /**
     * The rule that a cancelled acquisition lets go of its attempt and releases what it took (the
     * naive mapping of the protocol's future does neither). Off only under the driver simulation's
     * mutation {@code CANCEL_KEEPS_ATTEMPT}, reached by a private lookup.
     */
    boolean letGoOnCancel = true;

    private LeaseManager(Builder b) {
        LeaseConfig config = new LeaseConfig(b.keyPrefix, b.holder, b.ttl, b.renewInterval, b.safetyMargin, b.skewMargin,
                b.requestTimeout, b.retry, b.clock);
        this.ownsScheduler = b.scheduler == null;
        this.scheduler = ownsScheduler ? LeaseScheduler.singleThread("tenure-lease-" + b.holder) : b.scheduler;
        this.ownedIo = b.io == null ? ioPool(b.holder) : null;
        this.ownedCallbacks = b.callbacks == null ? Executors.newSingleThreadExecutor(r -> daemon(r, "tenure-lease-callbacks-" + b.holder)) : null;
        Executor io = b.io != null ? b.io : ownedIo;
        Executor callbacks = b.callbacks != null ? b.callbacks : ownedCallbacks;
        RandomGenerator random = b.random != null ? b.random : new SeededRandom(new SecureRandom());
        LeaseEvents events = b.loggers == null ? new LeaseEvents(config, b.observer)
                : new LeaseEvents(config, b.observer, b.loggers[0], b.loggers[1]);
        this.driver = new LeaseDriver(b.backend, config, scheduler, io, callbacks, random, events, b.batchBackendCalls);
        // A cold JVM takes over a second to load JSON and the protocol classes. Paid here, not
        // between taking a request's send time and sending it (where it cost the first write).
        LeaseRecordCodec.warmUp();
        new LeaseMachine(config, "warm-up", random).acquire(config.clock().nanoTime(), LeaseMachine.Mode.ONCE, 0);
        events.managerStarted(this::health);
    }

    /** A builder for leases held by {@code holder} on {@code backend}. */
    public static Builder builder(AtomicRemoteBackend backend, String holder) {
        return new Builder(Objects.requireNonNull(backend, "backend"), holder);
    }

    /**
     * For configuration that names a backend at run time: refuses to start unless the backend is
     * atomic, since a lease on a store that can silently overwrite is no lease at all.
     *
     * @throws LeaseConfigurationException when {@code backend} is not an {@link AtomicRemoteBackend}
     */
    public static Builder builderRequiringLease(RemoteBackend backend, String holder) {
        if (!(backend instanceof AtomicRemoteBackend atomic)) {
            throw new LeaseConfigurationException("a lease is required but backend " + backend.name()
                    + " cannot enforce compare-and-swap (it is not an AtomicRemoteBackend); refusing to start");
        }
        return builder(atomic, holder);
    }

    /** The holder id leases are taken under. */
    public String holder() {
        return driver.config().holder();
    }

    /**
     * One attempt: takes the lease if it is free, released, or has been seen unchanged for its
     * TTL plus the skew margin (across earlier calls too); otherwise returns empty at once.
     *
     * <p>If this manager is still writing its own release of the lease (a {@link Lease#release()}
     * that returned before the write was confirmed, or one running on another thread), the attempt
     * is made when that write ends, so it finds the record released and takes it at the next
     * epoch. It waits for that within its bound (one TTL), then returns empty. A release
     * write that got no answer in time may not have landed: the record then still names this
     * holder, and the attempt returns empty rather than take it on a guess. A lease this manager
     * holds already is returned as the same handle.
     *
     * <p>Returns within one TTL whatever the store does. If its write is still unanswered then
     * (the store down after sending), the outcome is unknown: {@link LeaseOutcomeUnknownException};
     * the write is resolved in the background and, if it landed, released at once.
     *
     * @throws LeaseOutcomeUnknownException when the attempt's write could not be resolved within one TTL
     * @throws LeaseRecordException when the stored record is corrupt or out of bounds (it is never overwritten)
     * @throws BackendException when the store refuses (credentials, configuration)
     */
    public Optional<Lease> tryAcquire(String name) throws InterruptedException {
        return driver.awaitAcquisition(name, driver.acquire(checkName(name), LeaseMachine.Mode.ONCE, 0));
    }

    /**
     * Waits until the lease is taken or {@code timeout} passes (on the manager's clock).
     *
     * <p>If this manager is still writing its own release of the lease, it waits for that write to
     * end and then contends as usual, all within {@code timeout}: a released record is taken at once,
     * at the next epoch (a change of holder, even back to this one). A lease this manager holds
     * already is returned as the same handle. Returns by {@code timeout} whatever the store does.
     *
     * @throws TimeoutException when the lease could not be taken in time
     * @throws InterruptedException when the calling thread is interrupted while waiting: the
     *         acquisition is then let go (if its write lands, the lease is released at once)
     * @throws LeaseOutcomeUnknownException when the timeout came while the acquisition's write was
     *         unanswered: it may have landed; it is resolved in the background and released if it did
     */
    public Lease acquire(String name, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = Saturating.add(driver.nanoTime(), Saturating.nanos(timeout));
        CompletableFuture<Optional<Lease>> result = driver.acquire(checkName(name), LeaseMachine.Mode.UNTIL_DEADLINE, deadline);
        return driver.awaitAcquisition(name, result)
                .orElseThrow(() -> new TimeoutException("lease " + name + " not acquired within " + timeout));
    }

    /**
     * As {@link #tryAcquire}, without blocking: the future completes with the same outcomes (the
     * exceptions as its failure). Cancelling it lets go of the attempt: one whose write lands is
     * released at once; a lease already handed to the future when it is cancelled is released.
     */
    public CompletableFuture<Optional<Lease>> tryAcquireAsync(String name) {
        CompletableFuture<Optional<Lease>> result = driver.acquire(checkName(name), LeaseMachine.Mode.ONCE, 0);
        return caller(name, result, r -> r);
    }

    /**
     * As {@link #acquire}, without blocking: the future completes with the lease, or fails with
     * {@link TimeoutException} when it could not be taken within {@code timeout} (on the manager's
     * clock), or with the exceptions {@link #acquire} throws. Cancelling it lets go of the attempt,
     * as an interrupted {@link #acquire} does; a lease already taken when it is cancelled is released.
     */
    public CompletableFuture<Lease> acquireAsync(String name, Duration timeout) {
        long deadline = Saturating.add(driver.nanoTime(), Saturating.nanos(timeout));
        CompletableFuture<Optional<Lease>> result = driver.acquire(checkName(name), LeaseMachine.Mode.UNTIL_DEADLINE, deadline);
        return caller(name, result, r -> r.orElseThrow(() -> new CompletionException(
                new TimeoutException("lease " + name + " not acquired within " + timeout))));
    }

    /** The caller's future: the protocol's answer mapped; cancelling it lets go of the attempt, or releases what it took. */
    private <T> CompletableFuture<T> caller(String name, CompletableFuture<Optional<Lease>> result, Function<Optional<Lease>, T> map) {
        CompletableFuture<T> out = new CompletableFuture<>();
        result.whenComplete((r, e) -> {
            if (e != null) {
                out.completeExceptionally(e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e);
                return;
            }
            try {
                if (!out.complete(map.apply(r)) && letGoOnCancel) {
                    r.ifPresent(Lease::releaseAsync); // cancelled meanwhile: nobody will ever hold this handle
                }
            } catch (CompletionException c) {
                out.completeExceptionally(c.getCause());
            }
        });
        out.whenComplete((r, e) -> {
            if (out.isCancelled() && letGoOnCancel) {
                driver.letGo(name, result, "the caller acquiring " + name + " cancelled its future");
                result.thenAccept(taken -> taken.ifPresent(Lease::releaseAsync));
            }
        });
        return out;
    }

    /**
     * Watches lease {@code name} without contending, for reader replicas: reads the record now and
     * every renew interval, and tells who holds it, at which epoch, whether it is released, and how
     * long this node has seen the same record version unchanged (on this node's monotonic clock).
     * Costs one read per renew interval; close the observer to stop. Closing this manager stops the
     * reads too: the observer's view is then {@linkplain LeaseObserver.View#stale() stale}.
     */
    public LeaseObserver observe(String name) {
        LeaseObserver observer = new LeaseObserver(driver, checkName(name), closed::get);
        observer.start();
        return observer;
    }

    /**
     * Starts contending for {@code name}; the listener hears of every change. Close the election to
     * stop. If this manager is still writing its own release of the lease, contending starts when
     * that write ends. The election keeps contending, with backoff, through every store failure
     * (outages, disk full, permissions) until it is closed; only a corrupt or out-of-bounds record
     * stops it, and the listener then hears {@link LeaderListener#onFailed} with
     * {@link ElectionFailure.CorruptRecord}. A store refusing it (credentials, permissions) is told
     * once per run of refusals as {@link ElectionFailure.StoreRefused}, and the election keeps
     * contending. While a {@link Lease} of this manager holds the lease, or another election or
     * acquisition of it is under way, the election cannot start: the listener hears
     * {@link ElectionFailure.AlreadyInUse} (and never {@code onRevoked}: it was never elected), and
     * {@link LeaderElection#state()} is {@link LeaderElection.State#FAILED}.
     */
    public LeaderElection elect(String name, LeaderListener listener) {
        LeaderElection election = new LeaderElection(driver, checkName(name), listener);
        driver.elect(name, election);
        return election;
    }

    /**
     * The health of every lease this manager holds and every election it runs, with the worst of
     * their statuses; {@link LeaseHealth.Status#STOPPED} once closed. Reads no store: computed from
     * what the protocol last reported and this manager's clock, so a health endpoint may call it as
     * often as it likes.
     */
    public LeaseManagerHealth health() {
        return driver.events().health(closed.get());
    }

    /**
     * Releases every lease, stops every election, and stops the threads this manager started.
     *
     * <p>Every {@link #acquire}, {@link #tryAcquire} still pending (waiting for a release, for
     * another holder's lease to expire, or with its read or write still in flight) fails at once
     * with {@link IllegalStateException}; so does any call made after close. An acquisition whose
     * write lands after close is never handed out nor renewed: it is released at once (a
     * conditional write of {@code released=true}), and close waits for that, at most twice the
     * request timeout, like for every release; after that the record simply expires.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            driver.releaseAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (ownsScheduler) {
                scheduler.close();
            }
            if (ownedIo != null) {
                ownedIo.shutdownNow();
            }
            if (ownedCallbacks != null) {
                ownedCallbacks.shutdown();
            }
            driver.failPending();
            driver.events().managerStopped();
        }
    }

    /** For tests: what this manager tells operators (its log lines, observer calls and health state). */
    LeaseEvents events() {
        return driver.events();
    }

    /** For crash tests: stops every thread at once without releasing anything, as a killed process would. */
    void abandon() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (ownsScheduler) {
            scheduler.close();
        }
        if (ownedIo != null) {
            ownedIo.shutdownNow();
        }
        if (ownedCallbacks != null) {
            ownedCallbacks.shutdownNow();
        }
    }

    private String checkName(String name) {
        if (closed.get()) {
            throw new IllegalStateException("lease manager of " + holder() + " is closed");
        }
        if (name == null || name.isEmpty() || name.contains("/") || !dev.tenure.backend.Keys.isValid(name)) {
            throw new IllegalArgumentException("invalid lease name '" + name + "': one non-empty key segment without '/'");
        }
        return name;
    }

    private static ExecutorService ioPool(String holder) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(16, 16, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> daemon(r, "tenure-lease-io-" + holder));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Builds a {@link LeaseManager}; defaults: ttl 10 s, renew every 3 s, safety margin 1 s, skew margin 500 ms, request timeout 2 s. */
    public static final class Builder {
        private final AtomicRemoteBackend backend;
        private final String holder;
        private String keyPrefix = "leases/";
        private Duration ttl = Duration.ofSeconds(10);
        private Duration renewInterval = Duration.ofSeconds(3);
        private Duration safetyMargin = Duration.ofSeconds(1);
        private Duration skewMargin = Duration.ofMillis(500);
        private Duration requestTimeout = Duration.ofSeconds(2);
        private RetryPolicy retry = RetryPolicy.s3();
        private LeaseClock clock = LeaseClock.system();
        private LeaseScheduler scheduler;
        private Executor io;
        private Executor callbacks;
        private boolean batchBackendCalls = true;
        private RandomGenerator random;
        private TenureObserver observer = TenureObserver.none();
        /** For tests: the lease logger and the request logger, instead of the usual ones. */
        private Logger[] loggers;

        private Builder(AtomicRemoteBackend backend, String holder) {
            this.backend = backend;
            this.holder = holder;
        }

        /** Where records live; default {@code leases/}. */
        public Builder keyPrefix(String prefix) {
            this.keyPrefix = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
            return this;
        }

        /** How long a record stays valid without renewal. */
        public Builder ttl(Duration ttl) {
            this.ttl = ttl;
            return this;
        }

        /** Time between renewals. */
        public Builder renewInterval(Duration interval) {
            this.renewInterval = interval;
            return this;
        }

        /** The holder stops acting this long before {@code sentAt + ttl}. */
        public Builder safetyMargin(Duration margin) {
            this.safetyMargin = margin;
            return this;
        }

        /** Contenders wait this much beyond the TTL, covering clock-rate drift between nodes. */
        public Builder skewMargin(Duration margin) {
            this.skewMargin = margin;
            return this;
        }

        /** An answer later than this counts as lost; a write then counts as ambiguous. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /** Backoff for transport failures; default {@link RetryPolicy#s3()}. */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retry = policy;
            return this;
        }

        /** The clocks; default the system's. */
        public Builder clock(LeaseClock clock) {
            this.clock = clock;
            return this;
        }

        /** The protocol thread; default one daemon thread owned (and closed) by the manager. */
        public Builder scheduler(LeaseScheduler scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /** Where blocking backend calls run; default a pool of 16 daemon threads. */
        public Builder ioExecutor(Executor io) {
            this.io = io;
            return this;
        }

        /**
         * Whether the protocol's backend calls go to the I/O executor in batches, once per turn of
         * the protocol thread (default), or each as a task of its own. Batching saves a thread
         * wake-up per call when many leases share a manager; a call queued behind one that hangs
         * gets a runner of its own within about a millisecond. Turn it off for a test that holds
         * particular calls at the I/O executor: with batching, which runner takes which call
         * depends on how fast real threads run. {@link dev.tenure.lease.testing.VirtualTime#drive}
         * turns it off.
         */
        public Builder batchBackendCalls(boolean batch) {
            this.batchBackendCalls = batch;
            return this;
        }

        /** Where listener callbacks run, in order; default one daemon thread. */
        public Builder callbackExecutor(Executor callbacks) {
            this.callbacks = callbacks;
            return this;
        }

        /** Source of nonces and jitter; default a fast generator seeded once from {@link SecureRandom}. A seeded one makes runs repeatable. */
        public Builder random(RandomGenerator random) {
            this.random = random;
            return this;
        }

        /**
         * Where metrics go: {@link dev.tenure.metrics.MicrometerObserver} for Micrometer, or any
         * {@link TenureObserver}; default {@link TenureObserver#none()}.
         */
        public Builder observer(TenureObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            return this;
        }

        /** For tests: log to these loggers instead of {@code dev.tenure.lease.LeaseManager} and {@code dev.tenure.lease.requests}. */
        Builder loggers(Logger lease, Logger requests) {
            this.loggers = new Logger[] {lease, requests};
            return this;
        }

        /**
         * The manager.
         *
         * @throws LeaseConfigurationException when the timing cannot be safe, with the numbers
         */
        public LeaseManager build() {
            return new LeaseManager(this);
        }
    }
}
