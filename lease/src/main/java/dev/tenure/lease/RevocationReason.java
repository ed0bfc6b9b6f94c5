package dev.tenure.lease;

/** Why a held lease ended. */
public enum RevocationReason {
    /** Another holder took the lease: a renewal found another write in place. */
    LOST_TO_ANOTHER_HOLDER,
    /** Renewals failed with transport errors until the deadline: the store could not be reached. */
    STORE_UNREACHABLE,
    /** The deadline passed before a renewal was confirmed (a slow answer, a pause of the process). */
    DEADLINE_PASSED,
    /** The store refused the renewal outright (credentials, configuration, a corrupt record). */
    STORE_REJECTED,
    /**
     * This holder let go itself: {@link Lease#release()}, closing the lease, its manager or its
     * election, or {@link LeaderElection#stepDown}. Never a loss; given to a listener only after a
     * step-down or when its election is closed while leader.
     */
    RELEASED
}
