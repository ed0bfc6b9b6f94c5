package dev.tenure.lease;

import java.util.Objects;
import java.util.Optional;

/**
 * How a held lease ended: the token it was held at, why, a sentence for an operator, and the
 * failure behind it when there was one (the {@link dev.tenure.backend.BackendException} of a
 * refused renewal, the {@link LeaseRecordException} of a corrupt record). Given to
 * {@link LeaderListener#onRevoked(Revocation)} and by {@link Lease#whenLost()}.
 *
 * @param token the lease and epoch that ended
 * @param reason why; {@link RevocationReason#RELEASED} when this holder let go itself
 * @param detail what happened, for a log line; never holds secrets (backend messages never do)
 * @param cause the failure behind it, if any
 */
public record Revocation(FencingToken token, RevocationReason reason, String detail, Optional<Throwable> cause) {

    /** Rejects nulls. */
    public Revocation {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(cause, "cause");
    }

    /** True when this holder let go itself (release, close, step-down) rather than losing the lease. */
    public boolean released() {
        return reason == RevocationReason.RELEASED;
    }

    @Override
    public String toString() {
        return "lease " + token + " ended: " + reason + " (" + detail + ")";
    }
}
