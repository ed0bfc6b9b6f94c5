package dev.tenure.lease;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.retry.RetryPolicy;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The writer-lease protocol for one lease name and one holder, as a pure state machine: it reads
 * no clock and does no I/O. Every method takes the current monotonic time, consumes one event
 * (a request from the API, a backend answer, a timer) and returns the commands the driver must
 * carry out (send a request, arm a timer, notify). The same machine runs in production and,
 * unmodified, in the simulator.
 *
 * <p>Public so that the simulator can drive it directly; applications use {@link LeaseManager}.
 *
 * <p>Rules kept here (see {@code docs/leases.md}): expiry is judged on this node's monotonic
 * clock; a contender takes a lease only after seeing the same record version for
 * {@code record.ttl + skewMargin}, or at once when released; the holder's lease is valid until
 * {@code sentAt + ttl - safetyMargin} of the write that last succeeded; a renewal is exactly one
 * conditional write; an ambiguous write is resolved by reading back its nonce; epochs rise by one
 * per change of holder and never go back.
 */
public final class LeaseMachine {

    /** What the driver must do. */
    public sealed interface Command permits Read, Write, Delete, SetTimer, Notify {
    }

    /** Read the lease record; answer with {@link #onRead}. */
    public record Read(long requestId) implements Command {
    }

    /** Write the lease record conditionally; answer with {@link #onWrite}. */
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
    public enum Timer { RENEW, DEADLINE, RETRY, RECHECK, GIVE_UP, REQUEST_TIMEOUT }

    /** What the machine tells the outside world. */
    public sealed interface Event permits Acquired, NotAcquired, Renewed, Revoked, Released, HolderSeen {
    }

    /** The lease is held from now until {@code validUntilNanos} (unless renewed). */
    public record Acquired(FencingToken token, long validUntilNanos) implements Event {
    }

    /** An acquisition attempt ended without the lease; {@code error} when it ended on a failure. */
    public record NotAcquired(Optional<String> holder, Optional<RuntimeException> error) implements Event {
    }

    /** A renewal succeeded; valid until {@code validUntilNanos}. */
    public record Renewed(FencingToken token, long validUntilNanos) implements Event {
    }

    /** The held lease ended without a release. */
    public record Revoked(FencingToken token, RevocationReason reason, String detail) implements Event {
    }

    /** The holder let go (or the lease was already gone when it tried). */
    public record Released(FencingToken token) implements Event {
    }

    /** Another holder was seen on the record. */
    public record HolderSeen(String holder, long epoch, boolean released) implements Event {
    }

    /** How long an acquisition keeps trying. */
    public enum Mode { ONCE, UNTIL_DEADLINE, FOREVER }

    private enum Phase { IDLE, READING, ACQUIRE_WRITE, ACQUIRE_RESOLVE, WAITING, HELD, RENEW_WRITE, RENEW_RESOLVE, RELEASE_WRITE }

    private record Observed(ObjectVersion version, LeaseRecord record, long firstSeenNanos) {
    }

    private final LeaseConfig config;
    private final String key;
    private final String name;
    private final RandomGenerator random;

    private Phase phase = Phase.IDLE;
    private Mode mode = Mode.ONCE;
    private long acquireDeadline;
    private Observed observed;
    private String lastHolderSeen;

    // The held lease.
    private ObjectVersion heldVersion;
    private LeaseRecord heldRecord;
    private long validUntil;
    private boolean releaseRequested;
    private boolean renewRequested;
    /** A release written after leadership already ended: nobody is told about it a second time. */
    private boolean silentRelease;

    // The request in flight.
    private long requestId;
    private long sentAt;
    /** When the write whose outcome is pending was sent: validity counts from here, never from a later read-back. */
    private long writeSentAt;
    private LeaseRecord pendingRecord;
    private int attempts;
    private BackendException lastFailure;
    private final long[] timerTokens = new long[Timer.values().length];

    /** A machine for lease {@code name}; {@code random} supplies nonces and jitter. */
    public LeaseMachine(LeaseConfig config, String name, RandomGenerator random) {
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
        if (config.has(ProtocolMutation.RETRY_PAST_DEADLINE) && heldRecord != null && !releaseRequested
                && (phase == Phase.HELD || phase == Phase.RENEW_WRITE || phase == Phase.RENEW_RESOLVE)) {
            return true;
        }
        return heldRecord != null && !releaseRequested && now < validUntil
                && (phase == Phase.HELD || phase == Phase.RENEW_WRITE || phase == Phase.RENEW_RESOLVE);
    }

    /** The token of the held lease. */
    public Optional<FencingToken> token() {
        return heldRecord == null ? Optional.empty() : Optional.of(new FencingToken(name, heldRecord.epoch()));
    }

    /** The deadline of the held lease, on this node's monotonic clock. */
    public long validUntil() {
        return validUntil;
    }

    boolean busy() {
        return phase != Phase.IDLE && phase != Phase.HELD && phase != Phase.WAITING;
    }

    // ---- requests from the API -----------------------------------------------------------------

    /** Starts acquiring. {@code deadline} matters for {@link Mode#UNTIL_DEADLINE} only. */
    public List<Command> acquire(long now, Mode newMode, long deadline) {
        List<Command> out = new ArrayList<>();
        if (heldRecord != null) {
            // Held and valid: the same lease again. Lapsed or being released: not until that finishes.
            out.add(new Notify(isValid(now) ? new Acquired(token().orElseThrow(), validUntil)
                    : new NotAcquired(Optional.of(config.holder()), Optional.empty())));
            return out;
        }
        mode = newMode;
        acquireDeadline = deadline;
        attempts = 0;
        if (phase == Phase.IDLE || phase == Phase.WAITING) {
            cancel(Timer.RECHECK);
            read(now, out);
        }
        if (mode == Mode.UNTIL_DEADLINE) {
            setTimer(out, Timer.GIVE_UP, deadline);
        }
        return out;
    }

    /** Stops contending (an election closing without holding). */
    List<Command> stopContending() {
        mode = Mode.ONCE;
        cancel(Timer.RECHECK);
        cancel(Timer.RETRY);
        cancel(Timer.GIVE_UP);
        if (phase == Phase.WAITING) {
            phase = Phase.IDLE;
        }
        return List.of();
    }

    /** Renews now rather than at the next renewal time. */
    List<Command> renewNow(long now) {
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

    /** Lets go: writes {@code released=true} with the same epoch, so the next holder fences above it. */
    public List<Command> release(long now) {
        List<Command> out = new ArrayList<>();
        mode = Mode.ONCE;
        cancel(Timer.RECHECK);
        cancel(Timer.GIVE_UP);
        if (heldRecord == null) {
            if (phase == Phase.WAITING) {
                phase = Phase.IDLE;
            } else if (phase == Phase.ACQUIRE_WRITE || phase == Phase.ACQUIRE_RESOLVE) {
                // An acquisition in flight may still land: let go of it as soon as it does.
                releaseRequested = true;
            }
            return out;
        }
        releaseRequested = true;
        cancel(Timer.RENEW);
        if (phase == Phase.HELD) {
            writeRelease(now, out);
        }
        // A renewal in flight finishes first; its answer then leads to the release write. If it is
        // still unresolved at the lease's deadline, the release is written then (see the DEADLINE timer).
        return out;
    }

    // ---- answers from the backend --------------------------------------------------------------

    public List<Command> onRead(long id, long now, Optional<Versioned<byte[]>> found, BackendException failure) {
        List<Command> out = new ArrayList<>();
        if (id != requestId || (phase != Phase.READING && phase != Phase.ACQUIRE_RESOLVE && phase != Phase.RENEW_RESOLVE)) {
            return out;
        }
        cancel(Timer.REQUEST_TIMEOUT);
        if (failure != null) {
            readFailed(now, failure, out);
            return out;
        }
        LeaseRecord record;
        try {
            record = found.map(v -> LeaseRecordCodec.decode(key, v.value())).orElse(null);
        } catch (LeaseRecordException corrupt) {
            corruptRecord(now, corrupt, out);
            return out;
        }
        switch (phase) {
            case ACQUIRE_RESOLVE -> {
                if (record != null && record.nonce().equals(pendingRecord.nonce())) {
                    held(now, found.get().version(), pendingRecord, writeSentAt, out, true);
                } else {
                    contend(now, found, record, out);
                }
            }
            case RENEW_RESOLVE -> {
                if (record != null && record.nonce().equals(pendingRecord.nonce())) {
                    renewed(now, found.get().version(), pendingRecord, writeSentAt, out);
                } else if (found.isPresent() && found.get().version().equals(heldVersion)) {
                    // The renewal was not applied; the record is still ours. Try again while time remains.
                    retryRenew(now, lastFailure, out);
                } else {
                    revoke(now, RevocationReason.LOST_TO_ANOTHER_HOLDER, "the record was rewritten by "
                            + (record == null ? "a delete" : record.holder() + " at epoch " + record.epoch()), out);
                }
            }
            default -> contend(now, found, record, out);
        }
        return out;
    }

    public List<Command> onWrite(long id, long now, ObjectVersion written, BackendException failure) {
        List<Command> out = new ArrayList<>();
        if (id != requestId || (phase != Phase.ACQUIRE_WRITE && phase != Phase.RENEW_WRITE && phase != Phase.RELEASE_WRITE)) {
            return out;
        }
        cancel(Timer.REQUEST_TIMEOUT);
        switch (phase) {
            case ACQUIRE_WRITE -> {
                if (failure == null) {
                    held(now, written, pendingRecord, writeSentAt, out, true);
                } else if (failure.kind() == BackendException.Kind.PRECONDITION_FAILED) {
                    observed = null;
                    read(now, out);
                } else if (failure.ambiguous()) {
                    lastFailure = failure;
                    resolve(now, Phase.ACQUIRE_RESOLVE, out);
                } else {
                    acquireFailed(now, failure, out);
                }
            }
            case RENEW_WRITE -> {
                if (failure == null) {
                    renewed(now, written, pendingRecord, writeSentAt, out);
                } else if (failure.kind() == BackendException.Kind.PRECONDITION_FAILED) {
                    revoke(now, RevocationReason.LOST_TO_ANOTHER_HOLDER, "a renewal found another write in place", out);
                } else if (failure.ambiguous()) {
                    lastFailure = failure;
                    resolve(now, Phase.RENEW_RESOLVE, out);
                } else if (failure.retryable()) {
                    retryRenew(now, failure, out);
                } else {
                    revoke(now, RevocationReason.STORE_REJECTED, failure.getMessage(), out);
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
                    read(now, out);
                }
            }
        }
        return out;
    }

    // ---- timers --------------------------------------------------------------------------------

    public List<Command> onTimer(Timer timer, long token, long now) {
        List<Command> out = new ArrayList<>();
        if (timerTokens[timer.ordinal()] != token) {
            return out;
        }
        switch (timer) {
            case RENEW -> {
                if (phase == Phase.HELD && now >= validUntil && !config.has(ProtocolMutation.RETRY_PAST_DEADLINE)) {
                    // Woken after the deadline (a pause): leadership already ended; never renew a lapsed lease.
                    revoke(now, RevocationReason.DEADLINE_PASSED, "the process resumed after the lease deadline", out);
                } else if (phase == Phase.HELD) {
                    renew(now, out);
                }
            }
            case DEADLINE -> {
                if (heldRecord != null && !releaseRequested && now >= validUntil && !config.has(ProtocolMutation.RETRY_PAST_DEADLINE)) {
                    boolean unreachable = lastFailure != null && lastFailure.retryable();
                    revoke(now, unreachable ? RevocationReason.STORE_UNREACHABLE : RevocationReason.DEADLINE_PASSED,
                            unreachable ? "renewals failed until the deadline: " + lastFailure.getMessage()
                                    : "no renewal was confirmed before the deadline", out);
                } else if (heldRecord != null && releaseRequested && phase != Phase.RELEASE_WRITE && now >= validUntil
                        && !config.has(ProtocolMutation.RETRY_PAST_DEADLINE)) {
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
                }
            }
            case GIVE_UP -> {
                if (mode == Mode.UNTIL_DEADLINE && heldRecord == null && (phase == Phase.WAITING || phase == Phase.IDLE
                        || phase == Phase.READING)) {
                    mode = Mode.ONCE;
                    phase = Phase.IDLE;
                    giveUp(out, null);
                }
                // A write in flight finishes first; its answer decides.
            }
            case RECHECK -> {
                if (phase == Phase.WAITING) {
                    read(now, out);
                }
            }
            case REQUEST_TIMEOUT -> timedOut(now, out);
        }
        return out;
    }

    // ---- internals -----------------------------------------------------------------------------

    private void contend(long now, Optional<Versioned<byte[]>> found, LeaseRecord record, List<Command> out) {
        if (record == null) {
            observed = null;
            writeAcquire(now, new LeaseRecord(name, config.holder(), 1, 1, nonce(), config.ttlMillis(), config.wallMillis(),
                    false), ConditionalPut.ifAbsent(), out);
            return;
        }
        ObjectVersion version = found.get().version();
        if (!record.holder().equals(lastHolderSeen) || record.released()) {
            lastHolderSeen = record.holder();
            out.add(new Notify(new HolderSeen(record.holder(), record.epoch(), record.released())));
        }
        if (record.released()) {
            writeAcquire(now, record.takenOverBy(config.holder(), nonce(), config.ttlMillis(), config.wallMillis()),
                    ConditionalPut.ifVersion(version), out);
            return;
        }
        if (observed == null || !observed.version().equals(version)) {
            observed = new Observed(version, record, now);
        }
        long expiresAt = observed.firstSeenNanos() + record.ttlMillis() * 1_000_000L + config.skewMarginNanos();
        if (config.has(ProtocolMutation.WALL_CLOCK_EXPIRY)) {
            // The mistake: trust the writer's wall clock and compare it with ours.
            long wallLeft = record.writtenAtMillis() + record.ttlMillis() - config.wallMillis();
            expiresAt = now + Math.max(0, wallLeft) * 1_000_000L;
        }
        if (now >= expiresAt) {
            writeAcquire(now, record.takenOverBy(config.holder(), nonce(), config.ttlMillis(), config.wallMillis()),
                    ConditionalPut.ifVersion(version), out);
            return;
        }
        if (mode == Mode.ONCE || (mode == Mode.UNTIL_DEADLINE && expiresAt > acquireDeadline)) {
            phase = mode == Mode.ONCE ? Phase.WAITING : Phase.IDLE;
            giveUp(out, null);
            return;
        }
        phase = Phase.WAITING;
        // Look again every renew interval: the last version a dead holder wrote is then first seen
        // soon after it was written, so failover takes at most ttl + skew + one renew interval.
        setTimer(out, Timer.RECHECK, Math.min(expiresAt, now + config.renewIntervalNanos()));
    }

    private void writeAcquire(long now, LeaseRecord record, ConditionalPut condition, List<Command> out) {
        phase = Phase.ACQUIRE_WRITE;
        pendingRecord = record;
        send(now, out, new Write(++requestId, LeaseRecordCodec.encode(record), condition));
    }

    private void renew(long now, List<Command> out) {
        renewRequested = false;
        phase = Phase.RENEW_WRITE;
        pendingRecord = heldRecord.renewed(nonce(), config.wallMillis());
        send(now, out, new Write(++requestId, LeaseRecordCodec.encode(pendingRecord), ConditionalPut.ifVersion(heldVersion)));
    }

    private void writeRelease(long now, List<Command> out) {
        phase = Phase.RELEASE_WRITE;
        pendingRecord = heldRecord.releasedBy(nonce(), config.wallMillis());
        if (config.has(ProtocolMutation.DELETE_ON_RELEASE)) {
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
        sentAt = now;
        if (request instanceof Write) {
            writeSentAt = now;
        }
        attempts++;
        out.add(request);
        setTimer(out, Timer.REQUEST_TIMEOUT, now + config.requestTimeoutNanos());
    }

    private void held(long now, ObjectVersion version, LeaseRecord record, long writeSentAt, List<Command> out, boolean acquired) {
        heldVersion = version;
        heldRecord = record;
        validUntil = writeSentAt + config.ttlNanos() - config.safetyMarginNanos();
        observed = null;
        lastFailure = null;
        attempts = 0;
        lastHolderSeen = config.holder();
        phase = Phase.HELD;
        cancel(Timer.RECHECK);
        cancel(Timer.RETRY);
        cancel(Timer.GIVE_UP);
        if (releaseRequested) {
            silentRelease = acquired;
            writeRelease(now, out);
            if (acquired) {
                out.add(new Notify(new NotAcquired(Optional.empty(), Optional.empty())));
            }
            return;
        }
        if (now >= validUntil) {
            // The answer came after the lease would already have expired: never report it as held.
            releaseLate(now, out);
            if (acquired) {
                out.add(new Notify(new NotAcquired(Optional.empty(), Optional.empty())));
            } else {
                out.add(new Notify(new Revoked(new FencingToken(name, record.epoch()), RevocationReason.DEADLINE_PASSED,
                        "the renewal was confirmed after the deadline")));
            }
            return;
        }
        if (acquired) {
            out.add(new Notify(new Acquired(token().orElseThrow(), validUntil)));
        }
        setTimer(out, Timer.DEADLINE, validUntil);
        setTimer(out, Timer.RENEW, renewRequested ? now : writeSentAt + config.renewIntervalNanos());
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
        if (config.has(ProtocolMutation.RETRY_PAST_DEADLINE)) {
            setTimer(out, Timer.RENEW, now + backoff);
            return;
        }
        if (now + backoff + config.requestTimeoutNanos() >= validUntil || !config.retry().allowsAnotherAttempt(attempts)) {
            // No retry could finish before the deadline: the deadline timer ends leadership (fail closed).
            return;
        }
        setTimer(out, Timer.RENEW, now + backoff);
    }

    private void readFailed(long now, BackendException failure, List<Command> out) {
        lastFailure = failure;
        if (!failure.retryable()) {
            if (phase == Phase.RENEW_RESOLVE) {
                revoke(now, RevocationReason.STORE_REJECTED, failure.getMessage(), out);
            } else {
                acquireFailed(now, failure, out);
            }
            return;
        }
        long backoff = config.retry().backoff(attempts, random).toNanos();
        if (phase == Phase.RENEW_RESOLVE) {
            if (now + backoff < validUntil) {
                setTimer(out, Timer.RETRY, now + backoff);
            }
            // Otherwise the deadline timer revokes.
            return;
        }
        boolean timeLeft = mode == Mode.FOREVER || (mode == Mode.UNTIL_DEADLINE && now + backoff < acquireDeadline)
                || (mode == Mode.ONCE && config.retry().allowsAnotherAttempt(attempts));
        if (phase == Phase.ACQUIRE_RESOLVE) {
            // We must learn whether our write landed before doing anything else.
            setTimer(out, Timer.RETRY, now + backoff);
        } else if (timeLeft) {
            setTimer(out, Timer.RETRY, now + backoff);
        } else {
            acquireFailed(now, failure, out);
        }
    }

    private void acquireFailed(long now, RuntimeException failure, List<Command> out) {
        phase = Phase.IDLE;
        if (mode == Mode.FOREVER && !(failure instanceof BackendException b && !b.retryable())) {
            setTimer(out, Timer.RETRY, now + config.retry().backoff(Math.max(1, attempts), random).toNanos());
            return;
        }
        giveUp(out, failure);
    }

    private void corruptRecord(long now, LeaseRecordException corrupt, List<Command> out) {
        if (phase == Phase.RENEW_RESOLVE) {
            revoke(now, RevocationReason.STORE_REJECTED, corrupt.getMessage(), out);
        } else {
            phase = Phase.IDLE;
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
        cancel(Timer.RETRY);
        Optional<String> holder = Optional.ofNullable(observed).map(o -> o.record().holder());
        out.add(new Notify(new NotAcquired(holder, Optional.ofNullable(error))));
    }

    private void timedOut(long now, List<Command> out) {
        BackendException timeout = BackendException.transport(key, true, "no answer within the request timeout of "
                + config.requestTimeoutNanos() / 1_000_000 + " ms", null);
        switch (phase) {
            case READING, ACQUIRE_RESOLVE, RENEW_RESOLVE -> out.addAll(onRead(requestId, now, Optional.empty(),
                    BackendException.transport(key, false, timeout.getMessage(), null)));
            case ACQUIRE_WRITE, RENEW_WRITE, RELEASE_WRITE -> out.addAll(onWrite(requestId, now, null, timeout));
            default -> {
            }
        }
    }

    private void revoke(long now, RevocationReason reason, String detail, List<Command> out) {
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
            return;
        }
        out.add(new Notify(new Revoked(token, reason, detail)));
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
}
