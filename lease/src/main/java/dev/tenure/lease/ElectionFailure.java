package dev.tenure.lease;

import dev.tenure.backend.BackendException;

/**
 * A failure of the election itself, as told to {@link LeaderListener#onFailed(ElectionFailure)}
 * and thrown by {@link LeaderElection#awaitLeadership} once the election has stopped. A closed set:
 * {@link #stopsElection()} says whether the election still contends after it (see
 * {@link LeaderElection#state()}).
 */
public abstract sealed class ElectionFailure extends RuntimeException
        permits ElectionFailure.CorruptRecord, ElectionFailure.AlreadyInUse, ElectionFailure.ManagerClosed,
        ElectionFailure.StoreRefused {

    private static final long serialVersionUID = 1L;

    private final String name;

    private ElectionFailure(String name, String message, Throwable cause) {
        super(message, cause);
        this.name = name;
    }

    /** The lease name of the election. */
    public String name() {
        return name;
    }

    /** True when the election has stopped for good and will not contend again. */
    public abstract boolean stopsElection();

    /**
     * The stored record is corrupt or out of bounds (the cause is the {@link LeaseRecordException}):
     * Tenure never overwrites it, so the election stops; an operator must look at the record, then
     * start a new election.
     */
    public static final class CorruptRecord extends ElectionFailure {
        private static final long serialVersionUID = 1L;

        CorruptRecord(String name, LeaseRecordException cause) {
            super(name, "election for " + name + " stopped: " + cause.getMessage(), cause);
        }

        @Override
        public boolean stopsElection() {
            return true;
        }
    }

    /**
     * The lease is already in use by this manager (another election of the same name, an
     * acquisition in progress, or a held {@link Lease}): this election never started; the other
     * use goes on untouched.
     */
    public static final class AlreadyInUse extends ElectionFailure {
        private static final long serialVersionUID = 1L;

        AlreadyInUse(String name) {
            super(name, "election for " + name + " not started: the lease is already in use by this manager"
                    + " (another election, an acquisition, or a held lease)", null);
        }

        @Override
        public boolean stopsElection() {
            return true;
        }
    }

    /** The manager was closed before the election could start. */
    public static final class ManagerClosed extends ElectionFailure {
        private static final long serialVersionUID = 1L;

        ManagerClosed(String name, String holder) {
            super(name, "election for " + name + " not started: lease manager of " + holder + " is closed", null);
        }

        @Override
        public boolean stopsElection() {
            return true;
        }
    }

    /**
     * The store refused contending with an error that is not a transport error (credentials,
     * permissions, configuration, disk full; the cause is the {@link BackendException}). The
     * election keeps contending with backoff, since the store may be repaired: told once per
     * run of such failures, again only after a read or write succeeded in between.
     */
    public static final class StoreRefused extends ElectionFailure {
        private static final long serialVersionUID = 1L;

        StoreRefused(String name, BackendException cause) {
            super(name, "election for " + name + ": the store refused contending (" + cause.getMessage()
                    + "); still contending with backoff", cause);
        }

        @Override
        public boolean stopsElection() {
            return false;
        }
    }
}
