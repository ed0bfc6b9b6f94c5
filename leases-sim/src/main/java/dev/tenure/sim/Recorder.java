package dev.tenure.sim;

import dev.tenure.backend.ObjectVersion;
import dev.tenure.lease.protocol.LeaseMachine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Everything a run did that the checkers and the report read. */
final class Recorder {

    /** A stretch of virtual time with one set of valid holders. */
    record Segment(long from, long until, List<String> holders) {
    }

    /** A fault injected at {@code at}. */
    record FaultEvent(long at, String holder, Fault fault, long lengthNanos, boolean hitLeader) {
    }

    /** A lease event as a node saw it. */
    record LeaseEvent(long at, String holder, LeaseMachine.Event event, long validUntilTrue) {
    }

    final List<String> log = new ArrayList<>();
    final List<LeaseEvent> events = new ArrayList<>();
    final List<FaultEvent> faults = new ArrayList<>();
    final List<Segment> segments = new ArrayList<>();
    final List<LinearizabilityChecker.Op> ops = new ArrayList<>();
    final Map<ObjectVersion, String> nonceOfVersion = new HashMap<>();
    final List<long[]> appliedEpochs = new ArrayList<>();
    final List<String> overlapViolations = new ArrayList<>();
    final List<String> fencingViolations = new ArrayList<>();
    final List<String> guessViolations = new ArrayList<>();
    final List<String> earlyViolations = new ArrayList<>();
    /** For each takeover by expiry: from the instant the record expired on the taker's clock to its election, ms. */
    final List<Long> takeoverAfterExpiry = new ArrayList<>();
    long requests;
    long maxDataEpoch;
    private List<String> current = List.of();
    private long currentFrom;

    void log(long at, String holder, String what) {
        log.add(line(at, holder, what));
    }

    /** {@code String.format("%d.%06d %s %s", seconds, micros, holder, what)}, by hand: the formatter was 2% of a seed. */
    static String line(long at, String holder, String what) {
        long seconds = at / 1_000_000_000L;
        long micros = (at / 1000) % 1_000_000;
        if (micros < 0) {
            return String.format("%d.%06d %s %s", seconds, micros, holder, what); // never in a run (time starts at 0)
        }
        StringBuilder b = new StringBuilder(24 + holder.length() + what.length()).append(seconds).append('.');
        for (long pad = 100_000; pad > 1 && micros < pad; pad /= 10) {
            b.append('0');
        }
        return b.append(micros).append(' ').append(holder).append(' ').append(what).toString();
    }

    void event(long at, String holder, LeaseMachine.Event e, long validUntilTrue) {
        events.add(new LeaseEvent(at, holder, e, validUntilTrue));
        log(at, holder, e.toString());
    }

    void fault(long at, String holder, Fault f, long length, boolean hitLeader) {
        faults.add(new FaultEvent(at, holder, f, length, hitLeader));
        log(at, holder, "FAULT " + f + " for " + length / 1_000_000 + " ms" + (hitLeader ? " (leader)" : ""));
    }

    void applied(long at, long epoch) {
        appliedEpochs.add(new long[] {at, epoch});
    }

    void dataWrite(long at, String holder, long epoch) {
        if (epoch < maxDataEpoch && fencingViolations.size() < 10) {
            fencingViolations.add("at " + at / 1_000_000 + " ms " + holder + " wrote with epoch " + epoch
                    + " after a write with epoch " + maxDataEpoch + " was accepted");
        }
        maxDataEpoch = Math.max(maxDataEpoch, epoch);
    }

    void guess(long at, String what) {
        if (guessViolations.size() < 10) {
            guessViolations.add("at " + at / 1_000_000 + " ms " + what);
        }
        log(at, "check", "GUESS: " + what);
    }

    void early(long at, String what) {
        if (earlyViolations.size() < 10) {
            earlyViolations.add("at " + at / 1_000_000 + " ms " + what);
        }
        log(at, "check", "EARLY: " + what);
    }

    void sample(long at, List<String> valid) {
        if (valid.size() > 1 && overlapViolations.size() < 10) {
            overlapViolations.add("at " + at / 1_000_000 + " ms " + valid + " were all valid");
        }
        if (!same(valid, current)) {
            if (!current.isEmpty()) {
                segments.add(new Segment(currentFrom, at, current));
            }
            current = List.copyOf(valid); // the caller reuses its list
            currentFrom = at;
        }
    }

    /** List equality, labels compared by identity first: called every virtual millisecond, and the labels are cached. */
    private static boolean same(List<String> a, List<String> b) {
        int n = a.size();
        if (n != b.size()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            String x = a.get(i);
            String y = b.get(i);
            if (x != y && !x.equals(y)) {
                return false;
            }
        }
        return true;
    }

    void close(long at) {
        if (!current.isEmpty()) {
            segments.add(new Segment(currentFrom, at, current));
            current = List.of();
        }
    }
}
