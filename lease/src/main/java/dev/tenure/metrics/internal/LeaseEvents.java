package dev.tenure.metrics.internal;

import dev.tenure.backend.BackendException;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.LeaseConfig;
import dev.tenure.lease.LeaseHealth;
import dev.tenure.lease.LeaseManagerHealth;
import dev.tenure.lease.protocol.LeaseMachine;
import dev.tenure.metrics.TenureObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one lease manager tells operators: log lines, {@link TenureObserver} calls, and the health
 * of each lease, all from the lease machines' events and the outcome of each request. Events come
 * on the protocol thread, requests on the I/O threads, health is read from any thread.
 *
 * <p>Log lines name the lease, the holder (this manager's id) and the epoch, never a record's
 * nonce or body, and error messages go through {@link Redact} (a URI in a message loses its user info).
 */
public final class LeaseEvents {

    /** Leases held, released, revoked, leadership changes, renewal trouble. */
    static final String LEASE_LOGGER = "dev.tenure.lease.LeaseManager";
    /** One DEBUG line per request to the store. */
    static final String REQUEST_LOGGER = "dev.tenure.lease.requests";

    /** What is known of one lease name. Written on the protocol thread only; read from any thread. */
    private static final class State {
        volatile FencingToken token;
        volatile long validUntil;
        /** The last renewal failure since the lease was last confirmed, while held. */
        volatile String failing;
        volatile boolean election;
        /** Why the election of this name stopped by itself, while it is not closed. */
        volatile String stopped;
    }

    private final LeaseConfig config;
    private final TenureObserver observer;
    private final Logger log;
    private final Logger requests;
    private final String prefix;
    /**
     * Below this much time left, with no renewal confirmed, the deadline is close: a healthy renewal
     * (sent {@code renewInterval} after the last confirmed write, answered within the request
     * timeout) would have landed before it. Always positive: the configuration is refused otherwise.
     */
    private final long closeNanos;
    /**
     * By the lease's key, not its name: the driver passes the machine's one key string at every
     * event and request, whose hash is cached, where the name was a new substring (hashed anew) each time.
     */
    private final Map<String, State> states = new ConcurrentHashMap<>();
    /** What {@link #managerStarted} gave the observer; {@link #managerStopped} passes the same object. */
    private volatile java.util.function.Supplier<LeaseManagerHealth> health;

    /** Logs to the usual loggers and reports to {@code observer}. */
    public LeaseEvents(LeaseConfig config, TenureObserver observer) {
        this(config, observer, LoggerFactory.getLogger(LEASE_LOGGER), LoggerFactory.getLogger(REQUEST_LOGGER));
    }

    /** As above, with the loggers given (tests read what was logged). */
    public LeaseEvents(LeaseConfig config, TenureObserver observer, Logger log, Logger requests) {
        this.config = config;
        this.observer = observer;
        this.log = log;
        this.requests = requests;
        this.prefix = config.keyPrefix();
        this.closeNanos = config.ttl().minus(config.safetyMargin()).minus(config.renewInterval()).minus(config.requestTimeout()).toNanos();
    }

    /** The manager started: the observer may read its health from now on. */
    public void managerStarted(java.util.function.Supplier<LeaseManagerHealth> health) {
        this.health = health;
        tell(() -> observer.leaseManagerStarted(config.holder(), health));
    }

    /** The manager stopped: the observer is given the same health object as at the start, to tell this manager from others. */
    public void managerStopped() {
        java.util.function.Supplier<LeaseManagerHealth> started = health;
        if (started != null) {
            tell(() -> observer.leaseManagerStopped(config.holder(), started));
        }
    }

    /** How many lease names this keeps state for (held or under election): for tests of its bounds. */
    public int namesTracked() {
        return states.size();
    }

    /** Below this much time left without a confirmed renewal, the deadline counts as close. */
    public Duration closeMargin() {
        return Duration.ofNanos(closeNanos);
    }

    private String nameOf(String key) {
        return key.startsWith(prefix) ? key.substring(prefix.length()) : key;
    }

    private State state(String key) {
        State s = states.get(key);
        return s != null ? s : states.computeIfAbsent(key, k -> new State());
    }

    // ---- from the driver -----------------------------------------------------------------------

    /** An election of {@code key} started contending (protocol thread). */
    public void electionStarted(String key) {
        State s = state(key);
        s.election = true;
        s.stopped = null;
    }

    /** The election of {@code key} was closed (protocol thread). */
    public void electionStopped(String key) {
        State s = state(key);
        s.election = false;
        s.stopped = null;
        forgetIfIdle(key, s);
    }

    /**
     * Drops the state of a name neither held nor under election (protocol thread, after its event):
     * it says nothing health reports, and keeping it would grow the map by every name ever used.
     */
    private void forgetIfIdle(String key, State s) {
        if (s.token == null && !s.election) {
            states.remove(key, s);
        }
    }

    /** A lease machine's notification (protocol thread); {@code election} when an election runs on this name. */
    public void event(String key, LeaseMachine.Event event, boolean election) {
        State s = state(key);
        if (event instanceof LeaseMachine.Renewed r && s.failing == null) {
            // Every renewal of every lease, once a second each: nothing to log or tell, one field to set.
            s.validUntil = r.validUntilNanos();
            forgetIfIdle(key, s);
            return;
        }
        String name = nameOf(key);
        String holder = config.holder();
        long now = config.clock().nanoTime();
        if (event instanceof LeaseMachine.Acquired a) {
            boolean again = a.token().equals(s.token);
            s.validUntil = a.validUntilNanos();
            s.failing = null;
            s.token = a.token();
            if (!again) {
                log.info("lease {}: acquired by {} at epoch {}, valid for {} ms{}", name, holder, a.token().epoch(),
                        Redact.millis(a.validUntilNanos() - now), election ? "; " + holder + " is the leader now" : "");
                tell(() -> observer.leaseAcquired(name, a.token().epoch()));
            }
        } else if (event instanceof LeaseMachine.Renewed r) {
            s.validUntil = r.validUntilNanos();
            if (s.failing != null) {
                log.info("lease {}: renewed by {} at epoch {} after failed attempts; valid for {} ms", name, holder,
                        r.token().epoch(), Redact.millis(r.validUntilNanos() - now));
            }
            s.failing = null;
        } else if (event instanceof LeaseMachine.RenewalFailed f) {
            long left = Math.max(0, f.validUntilNanos() - now);
            String error = describe(f.error());
            s.failing = "renewal failed: " + error;
            if (left <= closeNanos) {
                log.warn("lease {}: deadline close for {} at epoch {}: {} ms left and no renewal confirmed; it ends at the"
                        + " deadline unless a retry lands (last attempt: {})", name, holder, f.token().epoch(), Redact.millis(left), error);
            } else {
                log.warn("lease {}: renewal by {} at epoch {} failed: {}; {} ms left before the deadline", name, holder,
                        f.token().epoch(), error, Redact.millis(left));
            }
            tell(() -> observer.leaseRenewalFailed(name, Duration.ofNanos(left)));
        } else if (event instanceof LeaseMachine.Revoked r && s.token == null) {
            // A renewal asked of a lease that had already ended: nothing held was lost.
            log.debug("lease {}: renewal asked by {} of a lease it no longer holds: {}", name, holder, Redact.text(r.detail()));
        } else if (event instanceof LeaseMachine.Revoked r) {
            s.token = null;
            s.failing = null;
            log.info("lease {}: revoked from {} at epoch {}: {} ({}){}", name, holder, r.token().epoch(), r.reason(),
                    Redact.text(r.detail()), election ? "; " + holder + " is no longer the leader" : "");
            tell(() -> observer.leaseRevoked(name, r.reason()));
        } else if (event instanceof LeaseMachine.Releasing) {
            s.token = null;
            s.failing = null;
        } else if (event instanceof LeaseMachine.Released r) {
            s.token = null;
            s.failing = null;
            log.info("lease {}: released by {} at epoch {}", name, holder, r.token().epoch());
            tell(() -> observer.leaseReleased(name));
        } else if (event instanceof LeaseMachine.HolderSeen h) {
            if (election && h.released()) {
                log.info("lease {}: released by {} at epoch {}; no leader until a contender takes it", name, h.holder(), h.epoch());
            } else if (election) {
                log.info("lease {}: the leader is {} at epoch {}", name, h.holder(), h.epoch());
            } else {
                log.debug("lease {}: held by {} at epoch {}{}", name, h.holder(), h.epoch(), h.released() ? " (released)" : "");
            }
        } else if (event instanceof LeaseMachine.Refused r) {
            // Credentials, permissions, a full disk: an election keeps contending, with backoff, until an operator fixes it.
            log.warn("lease {}: the store refused {}: {}; the election keeps contending with backoff", name, holder,
                    describe(r.error()));
        } else if (event instanceof LeaseMachine.NotAcquired n && n.error().isPresent()) {
            String error = Redact.text(n.error().get().getMessage());
            if (election) {
                s.stopped = error;
                log.error("lease {}: the election of {} stopped and does not contend any more: {}", name, holder, error);
            } else {
                log.debug("lease {}: acquisition by {} failed: {}", name, holder, error);
            }
        }
        forgetIfIdle(key, s);
    }

    /** One request to the store ended (I/O thread); {@code failure} null when it succeeded. */
    public void request(String key, TenureObserver.Operation operation, BackendException failure, long latencyNanos) {
        if (observer == TenureObserver.none() && !requests.isDebugEnabled()) {
            return; // the default, at every request: nothing to name, log or tell
        }
        TenureObserver.Outcome outcome = outcomeOf(failure);
        String name = nameOf(key);
        if (requests.isDebugEnabled()) {
            requests.debug("lease {}: {} {} -> {} in {} ms{}", name, operation.name().toLowerCase(java.util.Locale.ROOT), key,
                    outcome.name().toLowerCase(java.util.Locale.ROOT), Redact.millis(latencyNanos),
                    failure == null ? "" : " (" + describe(failure) + ")");
        }
        tell(() -> observer.leaseRequest(name, operation, outcome, Duration.ofNanos(Math.max(0, latencyNanos))));
    }

    /** The operation of a write, from {@link LeaseMachine#writePurpose()}. */
    public static TenureObserver.Operation writeOperation(String purpose) {
        return switch (purpose) {
            case "renew" -> TenureObserver.Operation.RENEW;
            case "release" -> TenureObserver.Operation.RELEASE;
            default -> TenureObserver.Operation.ACQUIRE;
        };
    }

    static TenureObserver.Outcome outcomeOf(BackendException failure) {
        if (failure == null) {
            return TenureObserver.Outcome.SUCCESS;
        }
        if (failure.kind() == BackendException.Kind.PRECONDITION_FAILED) {
            return TenureObserver.Outcome.CONFLICT;
        }
        if (failure.ambiguous()) {
            return TenureObserver.Outcome.AMBIGUOUS;
        }
        return failure.retryable() ? TenureObserver.Outcome.UNAVAILABLE : TenureObserver.Outcome.REJECTED;
    }

    private static String describe(BackendException e) {
        return e.kind() + (e.ambiguous() ? " (outcome unknown)" : "") + ": " + Redact.text(e.getMessage());
    }

    // ---- health --------------------------------------------------------------------------------

    /** The health of lease {@code name}; {@code stopped} says why its election stopped, when it did. */
    public LeaseHealth health(String name, Optional<String> stopped) {
        State s = states.get(prefix + name);
        if (stopped.isPresent()) {
            return new LeaseHealth(name, LeaseHealth.Status.STOPPED, Optional.empty(), Optional.empty(), stopped);
        }
        FencingToken token = s == null ? null : s.token;
        if (token == null) {
            return new LeaseHealth(name, LeaseHealth.Status.FOLLOWER, Optional.empty(), Optional.empty(), Optional.empty());
        }
        long left = Math.max(0, s.validUntil - config.clock().nanoTime());
        String failing = s.failing;
        LeaseHealth.Status status;
        String problem = null;
        if (left <= closeNanos) {
            status = LeaseHealth.Status.DEADLINE_CLOSE;
            problem = "no renewal confirmed; " + Redact.millis(left) + " ms left" + (failing == null ? "" : "; " + failing);
        } else if (failing != null) {
            status = LeaseHealth.Status.RENEWALS_FAILING;
            problem = failing;
        } else {
            status = LeaseHealth.Status.LEADER;
        }
        return new LeaseHealth(name, status, Optional.of(token), Optional.of(Duration.ofNanos(left)), Optional.ofNullable(problem));
    }

    /** The health of every lease held and every election running; {@code closed} once the manager is. */
    public LeaseManagerHealth health(boolean closed) {
        if (closed) {
            return new LeaseManagerHealth(config.holder(), LeaseHealth.Status.STOPPED, List.of());
        }
        List<LeaseHealth> leases = new ArrayList<>();
        LeaseHealth.Status worst = LeaseHealth.Status.FOLLOWER;
        for (Map.Entry<String, State> e : states.entrySet()) {
            State s = e.getValue();
            if (s.token == null && !s.election) {
                continue;
            }
            LeaseHealth h = health(nameOf(e.getKey()), Optional.ofNullable(s.election ? s.stopped : null));
            leases.add(h);
            if (h.status().compareTo(worst) > 0) {
                worst = h.status();
            }
        }
        leases.sort((a, b) -> a.name().compareTo(b.name()));
        return new LeaseManagerHealth(config.holder(), worst, leases);
    }

    private void tell(Runnable call) {
        Observers.tell(observer, log, call);
    }
}
