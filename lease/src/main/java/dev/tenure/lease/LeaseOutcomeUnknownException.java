package dev.tenure.lease;

import java.util.Objects;

/**
 * An acquisition ended (its deadline passed, or it gave up on an error) while a conditional write
 * of it had no answer (the store was down, or the answer was lost): the write may have landed, so this holder may hold the lease in
 * the store, or not. Tenure never reports such a lease as won or lost on a guess. The manager
 * keeps resolving the write in the background (reading the record back): if it landed, the lease
 * is released at once (a conditional write of {@code released=true}) and never handed out; if it
 * cannot be resolved, the record simply expires after its TTL. Calling {@code tryAcquire} or
 * {@code acquire} again is safe: a record carrying this write is recognised as this holder's.
 */
public final class LeaseOutcomeUnknownException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String name;

    /** @param name the lease @param detail why the attempt ended */
    public LeaseOutcomeUnknownException(String name, String detail) {
        super("acquisition of lease " + name + " ended with a write whose outcome is unknown: " + detail
                + "; it may have landed, and if it did it is released in the background");
        this.name = Objects.requireNonNull(name);
    }

    /** The lease name. */
    public String name() {
        return name;
    }
}
