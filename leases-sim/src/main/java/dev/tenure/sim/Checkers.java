package dev.tenure.sim;

import dev.tenure.lease.protocol.LeaseMachine;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** The properties every run must keep; each can fail (the mutation tests prove it). */
final class Checkers {

    static final String MUTUAL_EXCLUSION = "mutual-exclusion";
    static final String FENCING = "fencing";
    static final String EPOCHS = "epochs-never-reset";
    static final String LIVENESS = "liveness";
    static final String LINEARIZABILITY = "linearizability";
    static final String NO_GUESS = "never-lost-on-a-guess";
    static final String EXPIRY = "never-before-expiry";

    private Checkers() {
    }

    static SimulationResult check(SimulationConfig config, Recorder r, long healAt, long end) {
        r.close(end);
        List<SimulationResult.Violation> violations = new ArrayList<>();
        // 1. No two nodes valid at one true instant.
        r.overlapViolations.forEach(v -> violations.add(new SimulationResult.Violation(MUTUAL_EXCLUSION, v)));
        // 2. Every write a valid leader made carries an epoch no lower than any before it.
        r.fencingViolations.forEach(v -> violations.add(new SimulationResult.Violation(FENCING, v)));
        // 2b. No node reported its lease lost, or its own write as another holder's, on a guess.
        r.guessViolations.forEach(v -> violations.add(new SimulationResult.Violation(NO_GUESS, v)));
        // 2c. No node took over another holder's record before it expired on its own clock.
        r.earlyViolations.forEach(v -> violations.add(new SimulationResult.Violation(EXPIRY, v)));
        // 3. Epochs of applied lease records never go back.
        long max = 0;
        for (long[] applied : r.appliedEpochs) {
            if (applied[1] == 0) {
                continue;
            }
            if (applied[1] < max) {
                violations.add(new SimulationResult.Violation(EPOCHS, "at " + applied[0] / 1_000_000 + " ms the record was written with epoch "
                        + applied[1] + " after epoch " + max));
                break;
            }
            max = applied[1];
        }
        // 4. Once faults heal, a leader within ttl + renew interval + a few round trips (plus one TTL of a record written just before).
        long ttl = config.ttl().toNanos();
        long bound = 2 * ttl + ttl / 4 + ttl / 10 + 100_000_000L;
        long firstLeaderAfterHeal = Long.MAX_VALUE;
        for (Recorder.Segment s : r.segments) {
            if (s.until() > healAt) {
                firstLeaderAfterHeal = Math.max(s.from(), healAt);
                break;
            }
        }
        if (firstLeaderAfterHeal - healAt > bound) {
            violations.add(new SimulationResult.Violation(LIVENESS, "no leader within " + bound / 1_000_000 + " ms after faults healed at "
                    + healAt / 1_000_000 + " ms" + (firstLeaderAfterHeal == Long.MAX_VALUE ? " (none at all)"
                    : " (first at " + firstLeaderAfterHeal / 1_000_000 + " ms)")));
        }
        // 5. The compare-and-swap register history is linearizable.
        List<LinearizabilityChecker.Op> ops = new ArrayList<>(r.ops);
        LinearizabilityChecker.Result lin = LinearizabilityChecker.check(ops, null);
        if (!lin.linearizable()) {
            violations.add(new SimulationResult.Violation(LINEARIZABILITY, lin.detail() + " (" + lin.linearizedBeforeFailure() + " of "
                    + lin.operations() + " operations linearized)"));
        }
        // Figures.
        TreeSet<Long> epochs = new TreeSet<>();
        long acquisitions = 0;
        long renewals = 0;
        for (Recorder.LeaseEvent e : r.events) {
            if (e.event() instanceof LeaseMachine.Acquired a) {
                acquisitions++;
                epochs.add(a.token().epoch());
            } else if (e.event() instanceof LeaseMachine.Renewed) {
                renewals++;
            }
        }
        List<Long> failovers = new ArrayList<>();
        for (Recorder.FaultEvent f : r.faults) {
            if (!f.hitLeader()) {
                continue;
            }
            for (Recorder.LeaseEvent e : r.events) {
                if (e.at() > f.at() && e.event() instanceof LeaseMachine.Acquired) {
                    failovers.add((e.at() - f.at()) / 1_000_000);
                    break;
                }
            }
        }
        // Failover after a crash of the leader, beyond the ttl + skew margin every contender must wait.
        List<Long> crashBeyond = new ArrayList<>();
        long wait = (ttl + ttl / 10) / 1_000_000;
        for (Recorder.FaultEvent f : r.faults) {
            if (f.fault() != Fault.CRASH || !f.hitLeader()) {
                continue;
            }
            for (Recorder.LeaseEvent e : r.events) {
                if (e.at() > f.at() && e.event() instanceof LeaseMachine.Acquired) {
                    crashBeyond.add((e.at() - f.at()) / 1_000_000 - wait);
                    break;
                }
            }
        }
        long renewRequests = renewals + countRenewRetries(r);
        return new SimulationResult(config.seed(), violations, epochs.size(), acquisitions, renewals, r.requests, renewRequests,
                failovers, crashBeyond, List.copyOf(r.takeoverAfterExpiry), ops.size(), hash(r.log), r.log, r.segments, r.faults, 0);
    }

    /** Renewal writes that were not confirmed (retries, lost answers) cost requests too. */
    private static long countRenewRetries(Recorder r) {
        long retries = 0;
        for (String line : r.log) {
            if (line.contains("answer lost after write") || line.contains("store refused write") || line.contains("request lost write")) {
                retries++;
            }
        }
        return retries;
    }

    private static long hash(List<String> log) {
        long h = 1125899906842597L;
        for (String line : log) {
            for (int i = 0; i < line.length(); i++) {
                h = 31 * h + line.charAt(i);
            }
            h = 31 * h + '\n';
        }
        return h;
    }
}
