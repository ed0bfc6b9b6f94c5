package dev.tenure.lease.protocol;

import dev.tenure.lease.LeaseConfig;
import dev.tenure.lease.RevocationReason;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.LeaseRecordException;
import dev.tenure.lease.LeaseOutcomeUnknownException;
import dev.tenure.lease.LeaseManager;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The writer-lease protocol for one lease name and one holder, as a pure state machine: it reads
 * no clock and does no I/O. Every method takes the current monotonic time, consumes one event
 * (a request from the API, a backend answer, a timer) and returns the commands the driver must
 * carry out (send a request, arm a timer, notify), in order. The same machine runs in production
 * ({@code LeaseDriver}) and, unmodified, in the simulator; {@link CommandDispatcher} routes its
 * commands for both.
 *
 * <p>Public so that the simulator can drive it directly; applications use {@link LeaseManager}.
 *
 * <p>Rules kept here (see {@code docs/leases.md}): expiry is judged on this node's monotonic
 * clock; a contender takes a lease only after seeing the same record version for
 * {@code record.ttl + skewMargin}, or at once when released, and acts at that very instant with the
 * conditional write ({@link Timer#EXPIRY}), polling every renew interval meanwhile; the holder's lease is valid until
 * {@code sentAt + ttl - safetyMargin} of the write that last succeeded, {@code sentAt} being the
 * instant the request went out ({@link #onSent}); a renewal is exactly one conditional write; every
 * acquire or renew write whose outcome is unknown stays this holder's ({@link #onRead}: a record
 * carrying any of their nonces is ours, valid from that write's send time); a refused conditional
 * write is re-read before anything is decided; epochs rise by one per change of holder and never
 * go back. The machine also keeps the rules of one lease lifetime at a time: an acquisition asked
 * for while the previous lease is still being let go waits for that to end; an acquisition that
 * lands when nobody wants it any more is released at once; a release invalidates the lease
 * ({@link Releasing}) before its write is sent.
 */
public final class LeaseMachine {

    /** What the driver must do. */
    public sealed interface Command permits Read, Write, Delete, SetTimer, Notify {
    }

    /** Read the lease record; answer with {@link #onRead}. */
    public record Read(long requestId) implements Command {
    }

    /** Write the lease record conditionally; report the send with {@link #onSent}, answer with {@link #onWrite}. */
    public record Write(long requestId, byte[] bytes, ConditionalPut condition) implements Command {
    }

    /** Delete the record (only under {@link ProtocolMutation#DELETE_ON_RELEASE}); answer with {@link #onWrite}. */
    public record Delete(long requestId) implements Command {
    }

    /** Call {@link #onTimer} with this timer and token at {@code atNanos} (monotonic). */
    public record SetTimer(Timer timer, long token, long atNanos) implements Command {
    }

    /** Tell the API and listeners. */
    public record Notify(Event event) implements Command {
    }

    /** Timers the machine sets; a timer whose token is stale is ignored. */
    public enum Timer { RENEW, DEADLINE, RETRY, RECHECK, GIVE_UP, REQUEST_TIMEOUT, EXPIRY }

    /** What the machine tells the outside world. */
    public sealed interface Event permits Acquired, NotAcquired, Renewed, Revoked, Releasing, Released, HolderSeen, Refused,
            RenewalFailed {
    }

    /** The lease is held from now until {@code validUntilNanos} (unless renewed). */
    public record Acquired(FencingToken token, long validUntilNanos) implements Event {
    }

    /**
     * An acquisition attempt ended without the lease; {@code error} when it ended on a failure
     * ({@link LeaseOutcomeUnknownException} when its write is still unresolved). For an election
     * ({@link Mode#FOREVER}) it means the election stopped ({@link LeaseRecordException}).
     */
    public record NotAcquired(Optional<String> holder, Optional<RuntimeException> error) implements Event {
    }

    /** A renewal succeeded; valid until {@code validUntilNanos}. */
    public record Renewed(FencingToken token, long validUntilNanos) implements Event {
    }

    /** The held lease ended without a release; {@code cause} is the failure behind it, when there was one. */
    public record Revoked(FencingToken token, RevocationReason reason, String detail, Optional<Throwable> cause) implements Event {
        /** Without a cause. */
        public Revoked(FencingToken token, RevocationReason reason, String detail) {
            this(token, reason, detail, Optional.empty());
        }
    }

    /**
     * The lease stopped being valid because it is being released: always emitted before the
     * release write, so every handle is invalid before another holder can take the record.
     */
    public record Releasing(FencingToken token) implements Event {
    }

    /** The holder let go (or the lease was already gone when it tried). */
    public record Released(FencingToken token) implements Event {
    }

    /**
     * An election's request was refused with an error that is not a transport error (credentials,
     * permissions, disk full): it keeps contending with backoff. Told once per run of refusals (again
     * only after a request succeeded in between), so that a listener can log or alert.
     */
    public record Refused(BackendException error) implements Event {
    }

    /** Another holder was seen on the record. */
    public record HolderSeen(String holder, long epoch, boolean released) implements Event {
    }

    /**
     * A renewal attempt failed while the lease is still held, valid until {@code validUntilNanos}
     * unless a retry lands first. For logs, metrics and health only: no protocol rule depends on
     * anyone hearing it (the simulator ignores it).
     */
    public record RenewalFailed(FencingToken token, BackendException error, long validUntilNanos) implements Event {
    }

    /** How long an acquisition keeps trying. */
    public enum Mode {
        /** One attempt: gives up at once when another holder has it; returns within one TTL whatever the store does. */
        ONCE,
        /** Contends until the deadline given to {@link #acquire}. */
        UNTIL_DEADLINE,
        /** Contends (with backoff on every failure) until released; only a corrupt record stops it. */
        FOREVER
    }

    private enum Phase { IDLE, READING, ACQUIRE_WRITE, ACQUIRE_RESOLVE, WAITING, HELD, RENEW_WRITE, RENEW_RESOLVE, RELEASE_WRITE }

    private record Observed(ObjectVersion version, LeaseRecord record, long firstSeenNanos) {
    }

    /** An acquire or renew write whose outcome this holder does not know yet: if it landed, it is ours. */
    private record Unresolved(long requestId, LeaseRecord record, ConditionalPut condition, long sentAt, boolean renewal) {
    }

    private final LeaseConfig config;
    /** Deliberate bugs the simulator switches on; empty for every machine a {@code LeaseManager} builds. */
    private final Set<ProtocolMutation> mutations;
    private final String key;
    private final String name;
    private final RandomGenerator random;

    private Phase phase = Phase.IDLE;
    private Mode mode = Mode.ONCE;
    private long acquireDeadline;
    /** An acquisition is waiting for its answer (Acquired or NotAcquired). */
    private boolean awaitingAnswer;
    /** An acquisition asked for while the previous lease is still being let go: started when that ends. */
    private boolean deferred;
    private Observed observed;
    /**
     * While waiting: the instant, on this node's clock, the watched record expires
     * ({@code firstSeen + record ttl + skewMargin}); the {@link Timer#EXPIRY} timer acts then.
     */
    private long watchExpiresAt;
    /** The poll read sent while waiting: at the expiry instant the machine acts without waiting for its answer. */
    private long pollRequestId = -1;
    private String lastHolderSeen;

    // The held lease.
    private ObjectVersion heldVersion;
    private LeaseRecord heldRecord;
    private long validUntil;
    /** Let go: of the held lease, or (with nothing held) of any acquisition still in flight should it land. */
    private boolean releaseRequested;
    private boolean renewRequested;
    /** A release written after leadership already ended: nobody is told about it a second time. */
    private boolean silentRelease;
    /** After a step-down, contending resumes at this instant (this node's clock), not before. */
    private long holdOffUntil = Long.MIN_VALUE;
    /** Only under {@link ProtocolMutation#STEP_DOWN_KEEPS_LEADING}: the stepped-down holder still reports valid until then. */
    private long mutantLeadingUntil = Long.MIN_VALUE;
    private FencingToken mutantToken;
    /** An election was told the store refuses it; told again only after an answer succeeded in between. */
    private boolean refusalTold;

    // The request in flight.
    private long requestId;
    /** When the write whose outcome is pending was sent: validity counts from here, never from a later read-back. */
    private long writeSentAt;
    private LeaseRecord pendingRecord;
    /** The condition of the last write refused with a precondition failure, until the re-read decides. */
    private ConditionalPut refusedCondition;
    private int attempts;
    private BackendException lastFailure;
    private final Map<String, Unresolved> unresolved = new LinkedHashMap<>();
    /** Looked up once: {@link #isValid} runs for every node at every sample of the simulator. */
    private final boolean retryPastDeadline;
    private final long[] timerTokens = new long[Timer.values().length];

    /** A machine for lease {@code name}; {@code random} supplies nonces and jitter. */
    public LeaseMachine(LeaseConfig config, String name, RandomGenerator random) {
        this(config, name, random, Set.of());
    }

    /** A machine with deliberate bugs switched on, for the simulator's mutation tests. */
    public LeaseMachine(LeaseConfig config, String name, RandomGenerator random, Set<ProtocolMutation> mutations) {
        // An EnumSet: some switches are looked up on hot paths (the safety margin at every validity
        // check), and a bit test is cheapest. In production there are none: the shared empty set
        // answers at once and costs no object per lease.
        this.mutations = mutations.isEmpty() ? Set.of() : EnumSet.copyOf(mutations);
        this.retryPastDeadline = this.mutations.contains(ProtocolMutation.RETRY_PAST_DEADLINE);
        this.config = config;
        this.name = name;
        this.key = config.keyPrefix() + name;
        this.random = random;
    }

    /** The record's key. */
    public String key() {
        return key;
    }

    /** True while the lease is held and its deadline has not passed. */
    public boolean isValid(long now) {
        if (mutantToken != null) {
            if (now < mutantLeadingUntil) {
                return true;
            }
            mutantToken = null;
        }
        boolean held = heldRecord != null && !releaseRequested
                && (phase == Phase.HELD || phase == Phase.RENEW_WRITE || phase == Phase.RENEW_RESOLVE);
        if (retryPastDeadline) {
            return held;
        }
        return held && now < validUntil;
    }

    /** The token of the held lease. */
    public Optional<FencingToken> token() {
        if (heldRecord == null && mutantToken != null) {
            return Optional.of(mutantToken);
        }
        return heldRecord == null ? Optional.empty() : Optional.of(new FencingToken(name, heldRecord.epoch()));
    }

    /**
     * The epoch of {@link #token()}, or -1 when it is empty: the same answer without allocating, for
     * callers that ask every millisecond (the simulator's sampler).
     */
    public long tokenEpoch() {
        if (heldRecord == null && mutantToken != null) {
            return mutantToken.epoch();
        }
        return heldRecord == null ? -1 : heldRecord.epoch();
    }

    /** The deadline of the held lease, on this node's monotonic clock. */
    public long validUntil() {
        return validUntil;
    }

    /** True while a request is in flight or a write is still being resolved: the machine has not settled. */
    public boolean busy() {
        return phase != Phase.IDLE && phase != Phase.HELD && phase != Phase.WAITING;
    }

    /** What the write just sent is for, for logs and metrics: {@code "acquire"}, {@code "renew"} or {@code "release"}. */
    public String writePurpose() {
        return phase == Phase.RENEW_WRITE ? "renew" : phase == Phase.RELEASE_WRITE ? "release" : "acquire";
    }

    /** True while the machine is letting go of a lease (or of an acquisition nobody wants any more). */
    public boolean lettingGo() {
        return releaseRequested && (heldRecord != null || busy());
    }

    // ---- requests from the API -----------------------------------------------------------------

    /**
     * Starts acquiring. {@code deadline} is used by {@link Mode#UNTIL_DEADLINE}; {@link Mode#ONCE}
     * gives up one TTL from now. While the previous lease is still being let go (its release write
     * in flight), the acquisition waits for that to end, within its deadline.
     */
    public List<Command> acquire(long now, Mode newMode, long deadline) {
        List<Command> out = new ArrayList<>();
        if (heldRecord != null && isValid(now)) {
            // Held and valid: the same lease again.
            out.add(new Notify(new Acquired(token().orElseThrow(), validUntil)));
            return out;
        }
        mode = newMode;
        acquireDeadline = newMode == Mode.ONCE ? Saturating.add(now, config.ttl().toNanos())
                : newMode == Mode.FOREVER ? Long.MAX_VALUE : deadline;
        attempts = 0;
        awaitingAnswer = true;
        if (mode != Mode.FOREVER) {
            setTimer(out, Timer.GIVE_UP, acquireDeadline);
        }
        if (heldRecord != null) {
            // One lease lifetime at a time: the lapsed or released lease is still being let go.
            deferred = true;
            return out;
        }
        // Whatever lands from here on is wanted again (an orphan acquisition in flight included).
        holdOffUntil = Long.MIN_VALUE;
        releaseRequested = false;
        silentRelease = false;
        if (phase == Phase.IDLE || phase == Phase.WAITING) {
            cancel(Timer.RECHECK);
            cancel(Timer.EXPIRY);
            cancel(Timer.RETRY);
            read(now, out);
        }
        return out;
    }

    /** Stops contending (an election closing without holding). */
    public List<Command> stopContending() {
        mode = Mode.ONCE;
        deferred = false;
        cancel(Timer.RECHECK);
        cancel(Timer.EXPIRY);
        cancel(Timer.RETRY);
        cancel(Timer.GIVE_UP);
        if (phase == Phase.WAITING) {
            phase = Phase.IDLE;
        }
        return List.of();
    }

    /** Renews now rather than at the next renewal time. */
    public List<Command> renewNow(long now) {
        List<Command> out = new ArrayList<>();
        if (phase == Phase.HELD && isValid(now)) {
            renew(now, out);
        } else if (phase == Phase.RENEW_WRITE || phase == Phase.RENEW_RESOLVE) {
            renewRequested = true;
        } else {
            out.add(new Notify(new Revoked(token().orElse(new FencingToken(name, 1)), RevocationReason.DEADLINE_PASSED,
                    "the lease is not held")));
        }
        return out;
    }

    /**
     * Lets go: the lease is invalid from now ({@link Releasing} comes before the write), and
     * {@code released=true} is written with the same epoch, so the next holder fences above it.
     * With nothing held, stops contending; an acquisition whose write is in flight is released
     * as soon as it lands, without being handed out. A pending acquisition gets NotAcquired.
     */
    public List<Command> release(long now) {
        List<Command> out = new ArrayList<>();
        mode = Mode.ONCE;
        deferred = false;
        cancel(Timer.RECHECK);
        cancel(Timer.EXPIRY);
        cancel(Timer.GIVE_UP);
        cancel(Timer.RETRY);
        if (heldRecord == null) {
            switch (phase) {
                case WAITING, IDLE -> phase = Phase.IDLE;
                case READING -> {
                    // Nothing written yet: drop the read (its answer is ignored) and stop.
                    cancel(Timer.REQUEST_TIMEOUT);
                    phase = Phase.IDLE;
                }
                default -> releaseRequested = true; // a write in flight may land: let go of it when it does
            }
            answerNotAcquired(out, null);
            return out;
        }
        boolean wasValid = !releaseRequested;
        releaseRequested = true;
        cancel(Timer.RENEW);
        if (wasValid) {
            out.add(new Notify(new Releasing(token().orElseThrow())));
        }
        if (phase == Phase.HELD) {
            writeRelease(now, out);
        }
        // A renewal in flight finishes first; its answer then leads to the release write. If it is
        // still unresolved at the lease's deadline, the release is written then (see the DEADLINE timer).
        return out;
    }

    /**
     * Steps down but stays in the election: the lease is let go exactly as by {@link #release}
     * ({@link Releasing} before the release write, so nothing acts as holder once another node can
     * take the record), and once the release has ended the machine contends again, but not before
     * {@code holdOffNanos} from now, so that another contender (which polls every renew interval)
     * can take the released record first. Only an election ({@link Mode#FOREVER}) holding a valid
     * lease steps down; otherwise nothing happens (empty commands).
     */
    public List<Command> stepDown(long now, long holdOffNanos) {
        if (mode != Mode.FOREVER || heldRecord == null || releaseRequested || !isValid(now)) {
            return List.of();
        }
        boolean keepLeading = mutations.contains(ProtocolMutation.STEP_DOWN_KEEPS_LEADING);
        long leadingUntil = validUntil;
        List<Command> out = release(now);
        if (keepLeading) {
            // The mistake: the released record is written, but the holder goes on acting until its old deadline.
            out.removeIf(c -> c instanceof Notify n && n.event() instanceof Releasing);
            mutantLeadingUntil = leadingUntil;
            mutantToken = token().orElseThrow();
        }
        mode = Mode.FOREVER;
        acquireDeadline = Long.MAX_VALUE;
        holdOffUntil = Saturating.add(now, Math.max(0, holdOffNanos));
        return out;
    }

    // ---- answers from the backend --------------------------------------------------------------

    /**
     * The request {@code id} is going out now: called by the dispatcher right before the request
     * leaves (after encoding, after any wait for a thread), so validity counts from a send time
     * that is as late as it can be while still before the store can apply it.
     */
    public List<Command> onSent(long id, long now) {
        List<Command> out = new ArrayList<>();
        for (Map.Entry<String, Unresolved> e : unresolved.entrySet()) {
            Unresolved u = e.getValue();
            if (u.requestId() == id && now > u.sentAt()) {
                e.setValue(new Unresolved(id, u.record(), u.condition(), now, u.renewal()));
            }
        }
        if (id == requestId && (phase == Phase.READING || phase == Phase.ACQUIRE_WRITE || phase == Phase.RENEW_WRITE
                || phase == Phase.RELEASE_WRITE || phase == Phase.ACQUIRE_RESOLVE || phase == Phase.RENEW_RESOLVE)) {
            if (phase == Phase.ACQUIRE_WRITE || phase == Phase.RENEW_WRITE) {
                writeSentAt = Math.max(writeSentAt, now);
            }
            // The request timeout counts from the send, not from when the machine asked for it.
            setTimer(out, Timer.REQUEST_TIMEOUT, Saturating.add(now, config.requestTimeout().toNanos()));
        }
        return out;
    }

    public List<Command> onRead(long id, long now, Optional<Versioned<byte[]>> found, BackendException failure) {
        List<Command> out = new ArrayList<>();
        if (id != requestId || (phase != Phase.READING && phase != Phase.ACQUIRE_RESOLVE && phase != Phase.RENEW_RESOLVE)) {
            return out;
        }
        cancel(Timer.REQUEST_TIMEOUT);
        if (failure != null) {
            readFailed(now, failure, out);
            return settle(now, out);
        }
        refusalTold = false;
        LeaseRecord record;
        try {
            record = found.map(v -> LeaseRecordCodec.decode(key, v.value(), !mutations.contains(ProtocolMutation.NO_RECORD_BOUNDS)))
                    .orElse(null);
        } catch (LeaseRecordException corrupt) {
            corruptRecord(now, corrupt, out);
            return settle(now, out);
        }
        ConditionalPut refused = refusedCondition;
        refusedCondition = null;
        Unresolved mine = ours(record);
        prune(found, record);
        if (mine != null) {
            claim(now, found.get().version(), mine, out);
            return settle(now, out);
        }
        if (refused != null && conditionHolds(refused, found)) {
            // The store refused a write whose condition still holds (a 409 while another write was
            // in progress, a 404 from a store that maps a missing object so): back off, then re-read.
            conflicted(now, refused, out);
            return settle(now, out);
        }
        switch (phase) {
            case RENEW_RESOLVE -> {
                if (found.isPresent() && found.get().version().equals(heldVersion)) {
                    // The renewal was not applied; the record is still ours. Try again while time remains.
                    retryRenew(now, lastFailure, out);
                } else {
                    revoke(now, RevocationReason.LOST_TO_ANOTHER_HOLDER, "the record was rewritten by "
                            + (record == null ? "a delete" : record.holder() + " at epoch " + record.epoch()), out);
                }
            }
            case ACQUIRE_RESOLVE -> {
                if (releaseRequested) {
                    // Nobody wants it any more and it did not land (yet): stop; a late answer still resolves it.
                    phase = Phase.IDLE;
                    releaseRequested = unresolved.isEmpty() ? false : releaseRequested;
                } else {
                    contend(now, found, record, out);
                }
            }
            default -> {
                if (releaseRequested && heldRecord == null) {
                    // Let go while this read was on its way (a re-read after a refused write): nobody
                    // wants the lease any more, so never contend again; a late answer still resolves.
                    phase = Phase.IDLE;
                    releaseRequested = !unresolved.isEmpty();
                } else {
                    contend(now, found, record, out);
                }
            }
        }
        return settle(now, out);
    }

    public List<Command> onWrite(long id, long now, ObjectVersion written, BackendException failure) {
        List<Command> out = new ArrayList<>();
        if (id != requestId || (phase != Phase.ACQUIRE_WRITE && phase != Phase.RENEW_WRITE && phase != Phase.RELEASE_WRITE)) {
            lateAnswer(id, now, written, failure, out);
            return settle(now, out);
        }
        cancel(Timer.REQUEST_TIMEOUT);
        if (failure == null) {
            refusalTold = false;
        }
        switch (phase) {
            case ACQUIRE_WRITE -> {
                if (failure == null) {
                    long sentAt = sentAtOf(id, writeSentAt);
                    unresolved.clear();
                    held(now, written, pendingRecord, sentAt, out, true);
                } else if (failure.kind() == BackendException.Kind.PRECONDITION_FAILED) {
                    // No blind retry: re-read, then decide (an earlier write of ours may be what is in place).
                    refusedCondition = conditionOf(id);
                    forget(id);
                    observed = null;
                    read(now, out);
                } else if (failure.ambiguous()) {
                    lastFailure = failure;
                    resolve(now, Phase.ACQUIRE_RESOLVE, out);
                } else {
                    forget(id);
                    if (releaseRequested) {
                        phase = Phase.IDLE;
                        releaseRequested = false;
                    } else {
                        acquireFailed(now, failure, out);
                    }
                }
            }
            case RENEW_WRITE -> {
                if (failure == null) {
                    long sentAt = sentAtOf(id, writeSentAt);
                    unresolved.clear();
                    renewed(now, written, pendingRecord, sentAt, out);
                } else if (failure.kind() == BackendException.Kind.PRECONDITION_FAILED) {
                    renewalFailed(failure, out);
                    // 409/412: not necessarily another holder (an earlier renewal of ours may have
                    // landed, or the store raced a write of its own): re-read, then decide.
                    forget(id);
                    lastFailure = failure;
                    if (mutations.contains(ProtocolMutation.REVOKE_ON_REFUSED_RENEWAL)) {
                        revoke(now, RevocationReason.LOST_TO_ANOTHER_HOLDER, "a renewal found another write in place", out);
                    } else {
                        resolve(now, Phase.RENEW_RESOLVE, out);
                    }
                } else if (failure.ambiguous()) {
                    renewalFailed(failure, out);
                    lastFailure = failure;
                    resolve(now, Phase.RENEW_RESOLVE, out);
                } else if (failure.retryable()) {
                    renewalFailed(failure, out);
                    forget(id);
                    retryRenew(now, failure, out);
                } else {
                    forget(id);
                    revoke(now, RevocationReason.STORE_REJECTED, failure.getMessage(), failure, out);
                }
            }
            default -> {
                // RELEASE_WRITE: best effort; the lease stopped being valid when release was asked.
                FencingToken token = token().orElseThrow();
                boolean silent = silentRelease;
                clearHeld();
                phase = Phase.IDLE;
                if (!silent) {
                    out.add(new Notify(new Released(token)));
                }
                if (mode == Mode.FOREVER) {
                    contendAfterHoldOff(now, out);
                }
            }
        }
        return settle(now, out);
    }

    // ---- timers --------------------------------------------------------------------------------

    public List<Command> onTimer(Timer timer, long token, long now) {
        List<Command> out = new ArrayList<>();
        if (timerTokens[timer.ordinal()] != token) {
            return out;
        }
        switch (timer) {
            case RENEW -> {
                if (phase == Phase.HELD && now >= validUntil && !mutations.contains(ProtocolMutation.RETRY_PAST_DEADLINE)) {
                    // Woken after the deadline (a pause): leadership already ended; never renew a lapsed lease.
                    revoke(now, RevocationReason.DEADLINE_PASSED, "the process resumed after the lease deadline", out);
                } else if (phase == Phase.HELD) {
                    renew(now, out);
                }
            }
            case DEADLINE -> {
                if (heldRecord != null && !releaseRequested && now >= validUntil && !mutations.contains(ProtocolMutation.RETRY_PAST_DEADLINE)) {
                    boolean unreachable = lastFailure != null && lastFailure.retryable();
                    revoke(now, unreachable ? RevocationReason.STORE_UNREACHABLE : RevocationReason.DEADLINE_PASSED,
                            unreachable ? "renewals failed until the deadline: " + lastFailure.getMessage()
                                    : "no renewal was confirmed before the deadline", unreachable ? lastFailure : null, out);
                } else if (heldRecord != null && releaseRequested && phase != Phase.RELEASE_WRITE && now >= validUntil
                        && !mutations.contains(ProtocolMutation.RETRY_PAST_DEADLINE)) {
                    // A release waiting for a renewal that is still unresolved (its read-back failing, or a retry
                    // that no longer fits) would otherwise wait for good: write it now. Conditional on the last
                    // confirmed version, it fails harmlessly if the renewal landed; its answer or timeout ends it.
                    writeRelease(now, out);
                }
            }
            case RETRY -> {
                if (phase == Phase.READING || phase == Phase.ACQUIRE_RESOLVE || phase == Phase.RENEW_RESOLVE) {
                    reissueRead(now, out);
                } else if (phase == Phase.IDLE && heldRecord == null && mode != Mode.ONCE) {
                    read(now, out);
                } else if (phase == Phase.IDLE && heldRecord == null && awaitingAnswer) {
                    read(now, out);
                }
            }
            case GIVE_UP -> giveUpAtDeadline(now, out);
            case RECHECK -> {
                if (phase == Phase.WAITING) {
                    read(now, out);
                    pollRequestId = requestId;
                }
            }
            case EXPIRY -> {
                // The watched record expires now on this clock: act with the conditional write itself, no
                // read first. Its condition (the version watched) is the check that nothing changed; if the
                // holder wrote meanwhile the store refuses it, and the re-read watches the new version from
                // when it is first seen. A poll still in flight is dropped (its answer is ignored).
                boolean polling = phase == Phase.READING && requestId == pollRequestId;
                if ((phase == Phase.WAITING || polling) && observed != null && heldRecord == null && !releaseRequested
                        && !deferred && (awaitingAnswer || mode == Mode.FOREVER)) {
                    if (now < watchExpiresAt) {
                        // Woken early (a scheduler that rounds its delays down): never act before the expiry.
                        setTimer(out, Timer.EXPIRY, watchExpiresAt);
                    } else {
                        cancel(Timer.RECHECK);
                        cancel(Timer.REQUEST_TIMEOUT);
                        takeOver(now, observed.record(), observed.version(), out);
                    }
                }
            }
            case REQUEST_TIMEOUT -> timedOut(now, out);
        }
        return settle(now, out);
    }

    // ---- internals -----------------------------------------------------------------------------

    /** After every event: an acquisition deferred behind a release starts once the release has ended. */
    private List<Command> settle(long now, List<Command> out) {
        if (deferred && heldRecord == null) {
            deferred = false;
            releaseRequested = false;
            silentRelease = false;
            if (phase == Phase.IDLE || phase == Phase.WAITING) {
                read(now, out);
            }
        }
        return out;
    }

    /** The unresolved write of ours that {@code record} carries, if any. */
    private Unresolved ours(LeaseRecord record) {
        if (record == null || record.released()) {
            return null;
        }
        if (mutations.contains(ProtocolMutation.FORGET_UNRESOLVED_WRITES)) {
            // The mistake: only the write just sent counts, and only while resolving it.
            boolean resolving = phase == Phase.ACQUIRE_RESOLVE || phase == Phase.RENEW_RESOLVE;
            return resolving && pendingRecord != null && record.nonce().equals(pendingRecord.nonce())
                    ? unresolved.get(record.nonce()) : null;
        }
        return unresolved.get(record.nonce());
    }

    /** Forgets the unresolved writes that can no longer land: their condition no longer holds (records are never deleted). */
    private void prune(Optional<Versioned<byte[]>> found, LeaseRecord record) {
        if (record != null && unresolved.containsKey(record.nonce())) {
            unresolved.clear();
            return;
        }
        unresolved.values().removeIf(u -> !conditionHolds(u.condition(), found));
    }

    private static boolean conditionHolds(ConditionalPut condition, Optional<Versioned<byte[]>> found) {
        if (condition instanceof ConditionalPut.IfVersion iv) {
            return found.isPresent() && found.get().version().equals(iv.version());
        }
        return found.isEmpty();
    }

    /** A write of ours is the stored record: the lease is ours, valid from that write's send time. */
    private void claim(long now, ObjectVersion version, Unresolved mine, List<Command> out) {
        LeaseRecord record = mine.record();
        if (heldRecord != null && record.epoch() == heldRecord.epoch()) {
            renewed(now, version, record, mine.sentAt(), out);
        } else if (mine.renewal()) {
            // A renewal of a lease lifetime that already ended (revoked while it was unresolved): the
            // record is ours, but that lifetime is over and a new one needs a new epoch. Release it
            // (so nobody waits it out), then acquire again if someone is waiting.
            heldVersion = version;
            heldRecord = record;
            validUntil = 0;
            phase = Phase.HELD;
            deferred = awaitingAnswer || deferred;
            releaseLate(now, out);
        } else {
            held(now, version, record, mine.sentAt(), out, true);
        }
    }

    /** An answer to a write we stopped waiting for (it timed out): it still tells whether that write landed. */
    private void lateAnswer(long id, long now, ObjectVersion written, BackendException failure, List<Command> out) {
        if (mutations.contains(ProtocolMutation.FORGET_UNRESOLVED_WRITES)) {
            return; // the mistake: a late answer is ignored
        }
        Unresolved u = null;
        for (Unresolved candidate : unresolved.values()) {
            if (candidate.requestId() == id) {
                u = candidate;
            }
        }
        if (u == null) {
            return;
        }
        if (failure != null) {
            if (!failure.ambiguous()) {
                unresolved.remove(u.record().nonce());
            }
            return;
        }
        // It landed. Claim it unless another request is in flight (its answer, or a re-read, finds it).
        if (phase == Phase.IDLE || phase == Phase.WAITING) {
            unresolved.clear();
            requestId++; // nothing else is in flight; keeps stray answers out
            cancel(Timer.RECHECK);
            cancel(Timer.EXPIRY);
            claim(now, written, u, out);
        } else if (phase == Phase.HELD && heldRecord != null && u.record().epoch() == heldRecord.epoch()
                && u.condition() instanceof ConditionalPut.IfVersion iv && iv.version().equals(heldVersion)) {
            unresolved.clear();
            renewed(now, written, u.record(), u.sentAt(), out);
        }
    }

    private void contend(long now, Optional<Versioned<byte[]>> found, LeaseRecord record, List<Command> out) {
        if (record == null) {
            observed = null;
            writeAcquire(now, new LeaseRecord(name, config.holder(), 1, 1, nonce(), config.ttl().toMillis(), config.clock().wallMillis(),
                    false), ConditionalPut.ifAbsent(), out);
            return;
        }
        ObjectVersion version = found.get().version();
        if (!record.holder().equals(lastHolderSeen) || record.released()) {
            lastHolderSeen = record.holder();
            out.add(new Notify(new HolderSeen(record.holder(), record.epoch(), record.released())));
        }
        if (record.released()) {
            takeOver(now, record, version, out);
            return;
        }
        if (observed == null || !observed.version().equals(version)) {
            observed = new Observed(version, record, now);
        }
        long expiresAt;
        if (mutations.contains(ProtocolMutation.NO_RECORD_BOUNDS)) {
            // The mistake: plain arithmetic, which wraps for a TTL of 9.3e12 ms or more.
            expiresAt = observed.firstSeenNanos() + record.ttlMillis() * 1_000_000L + skewMarginNanos();
        } else {
            expiresAt = Saturating.add(Saturating.add(observed.firstSeenNanos(), Saturating.millisToNanos(record.ttlMillis())),
                    skewMarginNanos());
        }
        if (mutations.contains(ProtocolMutation.TAKEOVER_BEFORE_EXPIRY)) {
            // The mistake: the record's TTL alone, without the skew margin that covers clock-rate drift.
            expiresAt = Saturating.add(observed.firstSeenNanos(), Saturating.millisToNanos(record.ttlMillis()));
        }
        if (mutations.contains(ProtocolMutation.WALL_CLOCK_EXPIRY)) {
            // The mistake: trust the writer's wall clock and compare it with ours.
            long wallLeft = record.writtenAtMillis() + record.ttlMillis() - config.clock().wallMillis();
            expiresAt = now + Math.max(0, wallLeft) * 1_000_000L;
        }
        if (now >= expiresAt) {
            takeOver(now, record, version, out);
            return;
        }
        if (mode == Mode.ONCE || (mode == Mode.UNTIL_DEADLINE && expiresAt > acquireDeadline)) {
            phase = mode == Mode.ONCE ? Phase.WAITING : Phase.IDLE;
            cancel(Timer.EXPIRY);
            giveUp(out, null);
            return;
        }
        phase = Phase.WAITING;
        // Act at the exact instant the watched record expires on this clock, whatever the renew interval.
        watchExpiresAt = expiresAt;
        setTimer(out, Timer.EXPIRY, expiresAt);
        // Meanwhile look again every renew interval, so that the last version a dead holder wrote is
        // first seen soon after it was written (a contender cannot know when a version was written, only
        // when it first saw it). No poll is due within an interval of the expiry: the expiry acts then.
        long poll = Saturating.add(now, config.renewInterval().toNanos());
        if (poll < expiresAt) {
            setTimer(out, Timer.RECHECK, poll);
        } else {
            cancel(Timer.RECHECK);
        }
    }

    private void takeOver(long now, LeaseRecord record, ObjectVersion version, List<Command> out) {
        if (record.epoch() >= LeaseRecord.MAX_EPOCH && !mutations.contains(ProtocolMutation.NO_RECORD_BOUNDS)) {
            corruptRecord(now, new LeaseRecordException(key, "epoch " + record.epoch() + " is the highest Tenure allows ("
                    + LeaseRecord.MAX_EPOCH + "): no holder can fence above it"), out);
            return;
        }
        writeAcquire(now, record.takenOverBy(config.holder(), nonce(), config.ttl().toMillis(), config.clock().wallMillis()),
                ConditionalPut.ifVersion(version), out);
    }

    private void writeAcquire(long now, LeaseRecord record, ConditionalPut condition, List<Command> out) {
        phase = Phase.ACQUIRE_WRITE;
        pendingRecord = record;
        byte[] bytes = LeaseRecordCodec.encode(record);
        Write write = new Write(++requestId, bytes, condition);
        unresolved.put(record.nonce(), new Unresolved(write.requestId(), record, condition, now, false));
        send(now, out, write);
    }

    private void renew(long now, List<Command> out) {
        renewRequested = false;
        phase = Phase.RENEW_WRITE;
        pendingRecord = heldRecord.renewed(nonce(), config.clock().wallMillis());
        ConditionalPut condition = ConditionalPut.ifVersion(heldVersion);
        Write write = new Write(++requestId, LeaseRecordCodec.encode(pendingRecord), condition);
        unresolved.put(pendingRecord.nonce(), new Unresolved(write.requestId(), pendingRecord, condition, now, true));
        send(now, out, write);
    }

    private void writeRelease(long now, List<Command> out) {
        phase = Phase.RELEASE_WRITE;
        pendingRecord = heldRecord.releasedBy(nonce(), config.clock().wallMillis());
        if (mutations.contains(ProtocolMutation.DELETE_ON_RELEASE)) {
            send(now, out, new Delete(++requestId));
            return;
        }
        send(now, out, new Write(++requestId, LeaseRecordCodec.encode(pendingRecord), ConditionalPut.ifVersion(heldVersion)));
    }

    private void read(long now, List<Command> out) {
        phase = Phase.READING;
        send(now, out, new Read(++requestId));
    }

    private void resolve(long now, Phase resolvePhase, List<Command> out) {
        phase = resolvePhase;
        send(now, out, new Read(++requestId));
    }

    private void reissueRead(long now, List<Command> out) {
        send(now, out, new Read(++requestId));
    }

    private void send(long now, List<Command> out, Command request) {
        if (request instanceof Write) {
            writeSentAt = now;
        }
        attempts++;
        out.add(request);
        // The request timeout counts from the send ({@link #onSent}); until the request has left,
        // only a request that has not even left within a TTL (or the request timeout, if longer) counts as lost.
        setTimer(out, Timer.REQUEST_TIMEOUT, Saturating.add(now, Math.max(config.ttl().toNanos(), config.requestTimeout().toNanos())));
    }

    private long sentAtOf(long id, long fallback) {
        for (Unresolved u : unresolved.values()) {
            if (u.requestId() == id) {
                return u.sentAt();
            }
        }
        return fallback;
    }

    /** The condition of our write {@code id}, while it is unresolved. */
    private ConditionalPut conditionOf(long id) {
        for (Unresolved u : unresolved.values()) {
            if (u.requestId() == id) {
                return u.condition();
            }
        }
        return null;
    }

    private void forget(long id) {
        unresolved.values().removeIf(u -> u.requestId() == id);
    }

    private void held(long now, ObjectVersion version, LeaseRecord record, long writeSentAt, List<Command> out, boolean acquired) {
        heldVersion = version;
        heldRecord = record;
        validUntil = Saturating.add(writeSentAt, config.ttl().toNanos() - safetyMarginNanos());
        observed = null;
        lastFailure = null;
        attempts = 0;
        lastHolderSeen = config.holder();
        phase = Phase.HELD;
        cancel(Timer.RECHECK);
        cancel(Timer.EXPIRY);
        cancel(Timer.RETRY);
        cancel(Timer.GIVE_UP);
        cancel(Timer.REQUEST_TIMEOUT);
        if (acquired && !awaitingAnswer && mode != Mode.FOREVER) {
            // Landed when nobody waits for it any more: never hand it out nor renew it.
            releaseRequested = true;
        }
        if (releaseRequested) {
            silentRelease = acquired;
            writeRelease(now, out);
            if (acquired) {
                answerNotAcquired(out, null);
            }
            return;
        }
        if (now >= validUntil) {
            // The answer came after the lease would already have expired: never report it as held.
            releaseLate(now, out);
            if (acquired) {
                answerNotAcquired(out, null);
            } else {
                out.add(new Notify(new Revoked(new FencingToken(name, record.epoch()), RevocationReason.DEADLINE_PASSED,
                        "the renewal was confirmed after the deadline")));
            }
            return;
        }
        if (acquired) {
            awaitingAnswer = false;
            out.add(new Notify(new Acquired(token().orElseThrow(), validUntil)));
        }
        setTimer(out, Timer.DEADLINE, validUntil);
        setTimer(out, Timer.RENEW, renewRequested ? now : Saturating.add(writeSentAt, config.renewInterval().toNanos()));
    }

    /** Leadership already ended but our write is the stored one: mark it released so the next holder need not wait. */
    private void releaseLate(long now, List<Command> out) {
        cancel(Timer.RENEW);
        cancel(Timer.DEADLINE);
        releaseRequested = true;
        silentRelease = true;
        writeRelease(now, out);
    }

    private void renewed(long now, ObjectVersion version, LeaseRecord record, long writeSentAt, List<Command> out) {
        held(now, version, record, writeSentAt, out, false);
        if (phase == Phase.HELD) {
            out.add(new Notify(new Renewed(token().orElseThrow(), validUntil)));
        }
    }

    private void retryRenew(long now, BackendException failure, List<Command> out) {
        lastFailure = failure;
        phase = Phase.HELD;
        long backoff = config.retry().backoff(attempts, random).toNanos();
        if (mutations.contains(ProtocolMutation.RETRY_PAST_DEADLINE)) {
            setTimer(out, Timer.RENEW, now + backoff);
            return;
        }
        if (releaseRequested) {
            // Asked to let go while the renewal was unresolved: the record is still the one we hold.
            writeRelease(now, out);
            return;
        }
        if (now + backoff + config.requestTimeout().toNanos() >= validUntil || !config.retry().allowsAnotherAttempt(attempts)) {
            // No retry could finish before the deadline: the deadline timer ends leadership (fail closed).
            return;
        }
        setTimer(out, Timer.RENEW, now + backoff);
    }

    /** A conditional write was refused although its condition still holds: back off before trying again. */
    private void conflicted(long now, ConditionalPut refused, List<Command> out) {
        if (phase == Phase.RENEW_RESOLVE) {
            retryRenew(now, lastFailure, out);
            return;
        }
        if (releaseRequested) {
            phase = Phase.IDLE;
            releaseRequested = false;
            return;
        }
        phase = Phase.IDLE;
        if (mode == Mode.ONCE && !config.retry().allowsAnotherAttempt(attempts)) {
            giveUp(out, BackendException.preconditionFailed(key, "the store kept refusing a conditional write ("
                    + refused + ") whose condition held when read back, " + attempts + " attempts"));
            return;
        }
        setTimer(out, Timer.RETRY, Saturating.add(now, config.retry().backoff(Math.max(1, attempts), random).toNanos()));
    }

    private void readFailed(long now, BackendException failure, List<Command> out) {
        lastFailure = failure;
        if (!failure.retryable()) {
            if (phase == Phase.RENEW_RESOLVE) {
                revoke(now, RevocationReason.STORE_REJECTED, failure.getMessage(), failure, out);
            } else if (phase == Phase.ACQUIRE_RESOLVE) {
                // We must still learn whether our write landed: keep reading, with backoff; nobody
                // waiting for it any more, stop once every write of ours would have expired anyway.
                if (releaseRequested && !awaitingAnswer && now >= latestUnresolvedSentAt() + config.ttl().toNanos()) {
                    phase = Phase.IDLE;
                } else {
                    setTimer(out, Timer.RETRY, Saturating.add(now, config.retry().backoff(attempts, random).toNanos()));
                }
            } else {
                acquireFailed(now, failure, out);
            }
            return;
        }
        long backoff = config.retry().backoff(attempts, random).toNanos();
        if (phase == Phase.RENEW_RESOLVE) {
            renewalFailed(failure, out);
            if (now + backoff < validUntil) {
                setTimer(out, Timer.RETRY, now + backoff);
            }
            // Otherwise the deadline timer revokes.
            return;
        }
        if (phase == Phase.ACQUIRE_RESOLVE) {
            // We must learn whether our write landed before doing anything else; nobody waiting for
            // it any more, give up once every write of ours would have expired anyway.
            if (releaseRequested && !awaitingAnswer && now >= latestUnresolvedSentAt() + config.ttl().toNanos()) {
                phase = Phase.IDLE;
                return;
            }
            setTimer(out, Timer.RETRY, now + backoff);
            return;
        }
        boolean timeLeft = mode == Mode.FOREVER || (mode == Mode.UNTIL_DEADLINE && now + backoff < acquireDeadline)
                || (mode == Mode.ONCE && config.retry().allowsAnotherAttempt(attempts));
        if (timeLeft) {
            setTimer(out, Timer.RETRY, now + backoff);
        } else {
            acquireFailed(now, failure, out);
        }
    }

    private long latestUnresolvedSentAt() {
        long latest = Long.MIN_VALUE / 2;
        for (Unresolved u : unresolved.values()) {
            latest = Math.max(latest, u.sentAt());
        }
        return latest;
    }

    private void acquireFailed(long now, RuntimeException failure, List<Command> out) {
        phase = Phase.IDLE;
        boolean stops = failure instanceof LeaseRecordException
                || (mutations.contains(ProtocolMutation.STOP_ON_STORE_ERROR) && failure instanceof BackendException b && !b.retryable());
        if (mode == Mode.FOREVER && !stops) {
            // An election keeps contending through any store failure (disk full, permissions, an
            // outage), with backoff, until it is closed: the store may recover.
            if (!refusalTold && failure instanceof BackendException refused && !refused.retryable()) {
                // Told (once per run of refusals) so that a listener can log or alert; the election goes on.
                refusalTold = true;
                out.add(new Notify(new Refused(refused)));
            }
            setTimer(out, Timer.RETRY, Saturating.add(now, config.retry().backoff(Math.max(1, attempts), random).toNanos()));
            return;
        }
        giveUp(out, failure);
    }

    private void corruptRecord(long now, LeaseRecordException corrupt, List<Command> out) {
        if (phase == Phase.RENEW_RESOLVE) {
            revoke(now, RevocationReason.STORE_REJECTED, corrupt.getMessage(), corrupt, out);
        } else {
            phase = Phase.IDLE;
            mode = Mode.ONCE;
            releaseRequested = false;
            awaitingAnswer = true; // the error is always told: it stops elections too
            giveUp(out, corrupt);
        }
    }

    private void giveUp(List<Command> out, RuntimeException error) {
        if (phase != Phase.WAITING) {
            phase = Phase.IDLE;
        }
        if (heldRecord == null) {
            releaseRequested = false;
        }
        if (heldRecord == null && !unresolved.isEmpty() && mode != Mode.FOREVER && !(error instanceof LeaseRecordException)) {
            // An earlier write of this attempt is unresolved (timed out; the read-back came before it
            // landed): the attempt ends, but not on a guess. If that write lands, its late answer (or
            // the next read) finds it ours and releases it, since nobody waits for it any more.
            mode = Mode.ONCE;
            releaseRequested = true;
            silentRelease = true;
            error = new LeaseOutcomeUnknownException(name, "the attempt gave up"
                    + (error == null ? "" : " on " + error.getMessage()) + " while an earlier write of it is still unresolved");
        }
        cancel(Timer.RETRY);
        cancel(Timer.GIVE_UP);
        answerNotAcquired(out, error);
    }

    private void answerNotAcquired(List<Command> out, RuntimeException error) {
        if (!awaitingAnswer && mode != Mode.FOREVER) {
            return;
        }
        awaitingAnswer = false;
        Optional<String> holder = Optional.ofNullable(observed).map(o -> o.record().holder());
        out.add(new Notify(new NotAcquired(holder, Optional.ofNullable(error))));
    }

    /** The acquisition's deadline: it returns now, whatever is in flight; what may have landed is resolved in the background. */
    private void giveUpAtDeadline(long now, List<Command> out) {
        if (mode == Mode.FOREVER || !awaitingAnswer) {
            return;
        }
        if (deferred) {
            deferred = false;
            answerNotAcquired(out, null);
            return;
        }
        if (heldRecord != null) {
            return;
        }
        Phase at = phase;
        if (!unresolved.isEmpty() && (phase == Phase.READING || phase == Phase.IDLE || phase == Phase.WAITING)) {
            // An earlier write of this attempt is unresolved (it timed out, and a later one was refused
            // or is backing off): it may have landed, so this is no "not acquired". Resolve it: the
            // read in flight does, or a new one.
            cancel(Timer.RECHECK);
            cancel(Timer.EXPIRY);
            cancel(Timer.RETRY);
            if (phase == Phase.READING) {
                phase = Phase.ACQUIRE_RESOLVE;
            } else {
                resolve(now, Phase.ACQUIRE_RESOLVE, out);
            }
            at = Phase.ACQUIRE_RESOLVE;
        }
        switch (at) {
            case ACQUIRE_WRITE, ACQUIRE_RESOLVE -> {
                // The write may have landed: never report won or lost on a guess. Keep resolving; if it
                // landed, it is released at once (nobody waits for it any more).
                mode = Mode.ONCE;
                releaseRequested = true;
                silentRelease = true;
                answerNotAcquired(out, new LeaseOutcomeUnknownException(name, "the deadline passed "
                        + (lastFailure == null ? "with no answer yet" : "after " + lastFailure.getMessage())));
            }
            case READING -> {
                cancel(Timer.REQUEST_TIMEOUT);
                cancel(Timer.RETRY);
                phase = Phase.IDLE;
                mode = Mode.ONCE;
                answerNotAcquired(out, lastFailure);
            }
            default -> {
                cancel(Timer.RETRY);
                cancel(Timer.RECHECK);
                cancel(Timer.EXPIRY); // a waiting attempt never writes after its answer
                mode = Mode.ONCE;
                answerNotAcquired(out, null);
            }
        }
    }

    private void timedOut(long now, List<Command> out) {
        BackendException timeout = BackendException.transport(key, true, "no answer within the request timeout of "
                + config.requestTimeout().toNanos() / 1_000_000 + " ms", null);
        switch (phase) {
            case READING, ACQUIRE_RESOLVE, RENEW_RESOLVE -> out.addAll(onRead(requestId, now, Optional.empty(),
                    BackendException.transport(key, false, timeout.getMessage(), null)));
            case ACQUIRE_WRITE, RENEW_WRITE, RELEASE_WRITE -> out.addAll(onWrite(requestId, now, null, timeout));
            default -> {
            }
        }
    }

    private void revoke(long now, RevocationReason reason, String detail, List<Command> out) {
        revoke(now, reason, detail, null, out);
    }

    private void revoke(long now, RevocationReason reason, String detail, Throwable cause, List<Command> out) {
        FencingToken token = token().orElseThrow();
        ObjectVersion version = heldVersion;
        boolean wasReleasing = releaseRequested;
        boolean silent = silentRelease;
        boolean stillOurs = reason == RevocationReason.DEADLINE_PASSED || reason == RevocationReason.STORE_UNREACHABLE;
        cancel(Timer.RENEW);
        cancel(Timer.DEADLINE);
        if (wasReleasing) {
            clearHeld();
            phase = Phase.IDLE;
            if (!silent) {
                out.add(new Notify(new Released(token)));
            }
            if (mode == Mode.FOREVER) {
                // A step-down whose renewal in flight turned out lost: it stays in the election.
                contendAfterHoldOff(now, out);
            }
            return;
        }
        out.add(new Notify(new Revoked(token, reason, detail, Optional.ofNullable(cause))));
        if (stillOurs && version != null) {
            // Our last write may still be the stored one: try to mark it released (fails harmlessly if not).
            phase = Phase.HELD;
            releaseLate(now, out);
            return;
        }
        clearHeld();
        phase = Phase.IDLE;
        if (mode == Mode.FOREVER) {
            read(now, out);
        }
    }

    /** An election contends again: at once, or when a step-down's hold-off ends (the RETRY timer reads then). */
    private void contendAfterHoldOff(long now, List<Command> out) {
        if (now < holdOffUntil) {
            phase = Phase.IDLE;
            setTimer(out, Timer.RETRY, holdOffUntil);
        } else {
            read(now, out);
        }
    }

    /** Tells who listens that a renewal attempt failed, while the lease is still held and not being let go. */
    private void renewalFailed(BackendException failure, List<Command> out) {
        if (heldRecord != null && !releaseRequested) {
            out.add(new Notify(new RenewalFailed(new FencingToken(name, heldRecord.epoch()), failure, validUntil)));
        }
    }

    private void clearHeld() {
        heldVersion = null;
        heldRecord = null;
        validUntil = 0;
        releaseRequested = false;
        renewRequested = false;
        silentRelease = false;
    }

    private void setTimer(List<Command> out, Timer timer, long at) {
        long token = ++timerTokens[timer.ordinal()];
        out.add(new SetTimer(timer, token, at));
    }

    private void cancel(Timer timer) {
        ++timerTokens[timer.ordinal()];
    }

    private String nonce() {
        return HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextLong());
    }

    private long safetyMarginNanos() {
        return mutations.contains(ProtocolMutation.NO_SAFETY_MARGIN) ? 0 : config.safetyMargin().toNanos();
    }

    private long skewMarginNanos() {
        return mutations.contains(ProtocolMutation.NO_SAFETY_MARGIN) ? 0 : config.skewMargin().toNanos();
    }

}
