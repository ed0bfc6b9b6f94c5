/**
 * Writer leases, leader election, the fenced ledger, snapshot transport and retry policies. The
 * protocol machines and their deliberate-bug switches are exported to the simulator only.
 */
// "module": the qualified export names dev.tenure.sim, which is compiled after this module.
@SuppressWarnings("module")
module dev.tenure.lease {
    requires transitive dev.tenure.core;
    requires com.fasterxml.jackson.databind;
    requires com.github.benmanes.caffeine;
    requires io.github.resilience4j.core;
    requires io.github.resilience4j.retry;
    requires org.slf4j;
    // Optional: only dev.tenure.metrics.MicrometerObserver uses Micrometer, and nothing loads it unless the application does.
    requires static micrometer.core;

    exports dev.tenure.lease;
    exports dev.tenure.ledger;
    exports dev.tenure.retry;
    exports dev.tenure.snapshot;
    exports dev.tenure.lease.testing;
    exports dev.tenure.metrics;
    exports dev.tenure.lease.protocol to dev.tenure.sim;
    exports dev.tenure.ledger.protocol to dev.tenure.sim;
    // The ledger's deliberate-bug switches are package-private; the simulator reaches them by a
    // private lookup, which only this qualified opens allows.
    opens dev.tenure.ledger to dev.tenure.sim;
    // FencedObjects' switch for the simulator's FENCED_CLOSED_MEANS_NOT_WRITTEN, by the same kind of private lookup.
    opens dev.tenure.lease to dev.tenure.sim;
}
