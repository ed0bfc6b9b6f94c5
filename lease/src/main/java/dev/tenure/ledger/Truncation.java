package dev.tenure.ledger;

import dev.tenure.ledger.protocol.Segment;
import dev.tenure.ledger.protocol.Checkpoint;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import java.util.Optional;

/**
 * One run of {@link Ledger#truncateBefore}, one store request per {@link #step()}, so that a
 * simulator can interleave it with writers and readers. The order is the rule everyone keys on:
 * <ol>
 * <li>read the checkpoint;
 * <li>walk every segment from it to the cut (the segment at the cut included): each must be
 *     present, or the cut lies beyond the readable tail and is refused; the walk applies the epoch
 *     rule, so the new checkpoint knows the highest epoch accepted below the cut;
 * <li>raise the checkpoint with compare-and-swap (never lower it), recording the deletes owed;
 * <li>delete the segments below the cut;
 * <li>record that the deletes are done.
 * </ol>
 * A truncation that stops anywhere leaves the log readable: before step 3 nothing changed; after
 * it, the deletes owed stay in the checkpoint and the next truncation pays them.
 *
 * <p>One caller steps it (it is not thread-safe); any number of truncations, writers and readers
 * may run against the same ledger at once.
 */
public final class Truncation {

    private enum Phase { READ, WALK, RECHECK, WRITE, CONFLICT, DELETE, CLEAR, DONE }

    private final Ledger ledger;
    private final Position position;
    private final long cut;
    private Phase phase = Phase.READ;
    /** The checkpoint this truncation builds on, as last read, and its version (null when none is stored). */
    private Checkpoint base = Checkpoint.NONE;
    private ObjectVersion baseVersion;
    private long walk;
    private long epoch;
    private Checkpoint attempted;
    /** The checkpoint whose deletes this truncation pays, and its version. */
    private Checkpoint owed;
    private ObjectVersion owedVersion;
    private long deleteNext;
    private int attempts;

    Truncation(Ledger ledger, Position position) {
        this.ledger = ledger;
        this.position = position;
        this.cut = position.segment();
    }

    /**
     * Makes one store request; segments already in the ledger's cache are walked through at no
     * request.
     *
     * @return true while steps remain
     * @throws IllegalArgumentException when the cut lies beyond the readable tail
     * @throws BackendException when the store keeps failing; the log stays readable and a later
     *     truncation finishes what this one left
     */
    public boolean step() {
        switch (phase) {
            case READ -> onCheckpoint(ledger.versionedCheckpoint(), true);
            case WALK -> walk();
            case RECHECK -> recheck();
            case WRITE -> write();
            case CONFLICT -> conflict();
            case DELETE -> delete();
            case CLEAR -> clear();
            case DONE -> {
                // Nothing left.
            }
        }
        return phase != Phase.DONE;
    }

    /** True once every step ran. */
    public boolean done() {
        return phase == Phase.DONE;
    }

    private void onCheckpoint(Optional<Versioned<Checkpoint>> read, boolean startWalk) {
        base = read.map(Versioned::value).orElse(Checkpoint.NONE);
        baseVersion = read.map(Versioned::version).orElse(null);
        if (cut <= base.low()) {
            // Already cut here or higher (by another truncation, or by ours whose answer was lost):
            // pay whatever deletes that cut still owes, so a truncation that crashed is finished.
            payDebtsOf(base, baseVersion);
            return;
        }
        if (startWalk || walk < base.low()) {
            walk = base.low();
            epoch = ledger.fixed(RetentionFix.CHECKPOINT_EPOCH) ? base.epoch() : 0;
            phase = Phase.WALK;
        } else {
            phase = Phase.WRITE;
        }
    }

    /** Walks through cached segments at no cost, and at most one segment read from the store. */
    private void walk() {
        boolean requested = false;
        while (phase == Phase.WALK) {
            Optional<Segment> s = ledger.cached(walk);
            if (s.isEmpty()) {
                if (requested) {
                    return;
                }
                requested = true;
                s = ledger.segment(walk);
            }
            if (s.isEmpty()) {
                phase = ledger.fixed(RetentionFix.TAIL_RULE) ? Phase.RECHECK : Phase.WRITE;
                return;
            }
            if (walk == cut) {
                phase = Phase.WRITE;
                return;
            }
            if (ledger.fixed(RetentionFix.CHECKPOINT_EPOCH) && s.get().epoch() >= epoch) {
                epoch = s.get().epoch(); // The epoch rule: a lower epoch after a higher one is skipped.
            }
            walk++;
        }
    }

    /** A segment below the cut is missing: a concurrent truncation deleted it, or the cut lies beyond the readable tail. */
    private void recheck() {
        Optional<Versioned<Checkpoint>> read = ledger.versionedCheckpoint();
        Checkpoint now = read.map(Versioned::value).orElse(Checkpoint.NONE);
        if (now.low() > walk) {
            onCheckpoint(read, true);
            return;
        }
        phase = Phase.DONE;
        throw new IllegalArgumentException("cannot truncate ledger " + ledger.name() + " before " + position
                + ": the readable log ends at segment " + (walk - 1) + " (segment " + walk + " is missing); the checkpoint is at "
                + now.low());
    }

    private void write() {
        long e = ledger.fixed(RetentionFix.CHECKPOINT_EPOCH) ? Math.max(epoch, base.epoch()) : 0;
        attempted = base.raisedTo(cut, e);
        try {
            ObjectVersion v = ledger.backend().put(ledger.checkpointKey(), attempted.encode(),
                    baseVersion == null ? ConditionalPut.ifAbsent() : ConditionalPut.ifVersion(baseVersion));
            payDebtsOf(attempted, v);
        } catch (BackendException ex) {
            if (ex.kind() == BackendException.Kind.PRECONDITION_FAILED || ex.ambiguous()) {
                phase = Phase.CONFLICT; // Someone else moved it, or our answer was lost: look again.
            } else if (!ex.retryable() || !ledger.options().retry().allowsAnotherAttempt(++attempts)) {
                phase = Phase.DONE;
                throw ex;
            }
        }
    }

    private void conflict() {
        Optional<Versioned<Checkpoint>> read = ledger.versionedCheckpoint();
        if (read.isPresent() && read.get().value().equals(attempted)) {
            payDebtsOf(attempted, read.get().version()); // Our write had landed.
            return;
        }
        onCheckpoint(read, false);
    }

    private void payDebtsOf(Checkpoint cp, ObjectVersion version) {
        owed = cp;
        owedVersion = version;
        deleteNext = cp.clearFrom();
        phase = deleteNext < cp.low() ? Phase.DELETE : Phase.DONE;
    }

    private void delete() {
        ledger.delete(ledger.segmentKey(deleteNext));
        ledger.forget(deleteNext);
        deleteNext++;
        if (deleteNext >= owed.low()) {
            phase = Phase.CLEAR;
        }
    }

    private void clear() {
        phase = Phase.DONE;
        try {
            ledger.backend().put(ledger.checkpointKey(), owed.cleared().encode(), ConditionalPut.ifVersion(owedVersion));
        } catch (BackendException ex) {
            // Moved since (the newer checkpoint carries the same debt, already paid, and its writer
            // clears it), or unknown: either way the deletes are done; at worst a later truncation
            // deletes absent segments again.
            if (ex.kind() != BackendException.Kind.PRECONDITION_FAILED && !ex.retryable() && !ex.ambiguous()) {
                throw ex;
            }
        }
    }
}
