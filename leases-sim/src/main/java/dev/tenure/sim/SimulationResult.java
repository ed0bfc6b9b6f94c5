package dev.tenure.sim;

import java.util.List;

/**
 * What one run found.
 *
 * @param seed the seed that replays it
 * @param violations every broken property, each naming its checker
 * @param epochs distinct epochs held
 * @param acquisitions times a holder was elected
 * @param renewals confirmed renewals
 * @param requests requests sent to the store
 * @param renewRequests requests sent by valid holders (renewals and their retries)
 * @param failoverMillis for each fault that hit the leader, virtual time until the next election
 * @param crashFailoverBeyondMillis for each crash of the leader, virtual time until the next election minus
 *        {@code ttl + skewMargin} (what a contender must wait after it first sees the dead holder's last record)
 * @param takeoverAfterExpiryMillis for each lease taken over by expiry, the taker's time from the instant the record
 *        expired on its clock ({@code firstSeen + record ttl + skewMargin}) to being elected: one round trip when it acts then
 * @param linearizedOperations operations the linearizability check covered
 * @param historyHash a hash of the full event log (same seed, same hash)
 * @param log the event log
 * @param segments who was valid when
 * @param faults the faults injected
 * @param ledgerAppends ledger appends acknowledged (0 when the run has no ledger)
 */
public record SimulationResult(long seed, List<Violation> violations, long epochs, long acquisitions, long renewals,
        long requests, long renewRequests, List<Long> failoverMillis, List<Long> crashFailoverBeyondMillis,
        List<Long> takeoverAfterExpiryMillis, int linearizedOperations, long historyHash,
        List<String> log, List<Recorder.Segment> segments, List<Recorder.FaultEvent> faults, int ledgerAppends) {

    /**
     * One broken property.
     *
     * @param checker which checker found it
     * @param detail what it saw
     */
    public record Violation(String checker, String detail) {
    }

    /** True when every checker passed. */
    public boolean ok() {
        return violations.isEmpty();
    }

    /** Requests per confirmed renewal by valid holders. */
    public double requestsPerRenewal() {
        return renewals == 0 ? 0 : (double) renewRequests / renewals;
    }
}
