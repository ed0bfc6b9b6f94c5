package dev.tenure.backend.probe;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.s3.S3Backend;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Checks whether a store truly honours the conditions an {@link AtomicRemoteBackend} promises:
 * sequential checks of each condition, then bounded contention races on real threads. Everything
 * it writes lives under a fresh prefix and is deleted at the end.
 */
public final class CapabilityProbe {

    /** How a guarantee fared. */
    public enum Outcome {
        /** The store kept the guarantee. */
        HOLDS,
        /** The store broke it. */
        FAILS,
        /** The backend refuses the operation outright rather than risk it (for example conditional delete on RGW 16). */
        REFUSED
    }

    /**
     * One guarantee's result.
     *
     * @param guarantee what was checked
     * @param outcome how it fared
     * @param claimed whether the backend's configuration claims it (a failed claimed guarantee fails the probe)
     * @param detail the numbers behind the verdict
     */
    public record Verdict(String guarantee, Outcome outcome, boolean claimed, String detail) {
        /** True when a guarantee the configuration claims did not hold. */
        public boolean broken() {
            return claimed && outcome == Outcome.FAILS;
        }
    }

    /**
     * The probe's findings.
     *
     * @param backend the backend's name
     * @param verdicts one per guarantee
     * @param leftBehind probe keys the clean-up could not delete (empty when it removed everything)
     */
    public record Report(String backend, List<Verdict> verdicts, List<String> leftBehind) {
        /** Copies the lists. */
        public Report {
            verdicts = List.copyOf(verdicts);
            leftBehind = List.copyOf(leftBehind);
        }

        /** Findings with nothing left behind. */
        public Report(String backend, List<Verdict> verdicts) {
            this(backend, verdicts, List.of());
        }

        /** True when every guarantee the configuration claims held. */
        public boolean passed() {
            return verdicts.stream().noneMatch(Verdict::broken);
        }
    }

    /**
     * How hard to push.
     *
     * @param createThreads writers racing {@code IfAbsent} per round
     * @param createRounds rounds of that race
     * @param incrementThreads writers doing {@code IfVersion} increments
     * @param incrementsPerThread successful increments each
     */
    public record Settings(int createThreads, int createRounds, int incrementThreads, int incrementsPerThread) {
        /** 32 writers x 50 create rounds, 8 x 50 increments. */
        public static final Settings DEFAULT = new Settings(32, 50, 8, 50);

        /** Rejects non-positive counts. */
        public Settings {
            if (createThreads < 2 || createRounds < 1 || incrementThreads < 2 || incrementsPerThread < 1) {
                throw BackendException.config(null, "probe settings need at least 2 writers and 1 round each", null);
            }
        }
    }

    private static final String CURRENT_IF_MATCH = "current if-match accepted";

    private CapabilityProbe() {
    }

    /** Runs every check against {@code backend} and cleans up after itself. */
    public static Report run(AtomicRemoteBackend backend, Settings settings) throws InterruptedException {
        return run(backend, settings, verdict -> {
        });
    }

    /** As {@link #run(AtomicRemoteBackend, Settings)}, telling {@code onVerdict} each verdict as it is reached. */
    public static Report run(AtomicRemoteBackend backend, Settings settings, Consumer<Verdict> onVerdict)
            throws InterruptedException {
        Objects.requireNonNull(backend, "backend");
        String prefix = "tenure-probe/" + UUID.randomUUID() + "/";
        List<Verdict> verdicts = new ArrayList<>() {
            private static final long serialVersionUID = 1L;

            @Override
            public boolean add(Verdict v) {
                onVerdict.accept(v);
                return super.add(v);
            }
        };
        List<String> leftBehind = List.of();
        try {
            verdicts.add(createIfAbsent(backend, prefix));
            Verdict ifMatch = staleIfMatch(backend, prefix);
            verdicts.add(ifMatch);
            // Only a store that refuses even the current version makes the version-based checks impossible.
            boolean versionsWork = !ifMatch.guarantee().equals(CURRENT_IF_MATCH);
            if (backend instanceof S3Backend s3 && !s3.settings().profile().generations()) {
                verdicts.add(etagSpelling(s3, prefix));
            }
            if (versionsWork) {
                verdicts.add(versionPerWrite(backend, prefix));
                verdicts.add(conditionalDelete(backend, prefix));
            }
            verdicts.add(createRace(backend, prefix, settings));
            verdicts.add(versionsWork
                    ? incrementRace(backend, prefix, settings)
                    : new Verdict("if-match atomic", Outcome.FAILS, true, "not raced: if-match does not work sequentially"));
        } finally {
            leftBehind = cleanUp(backend, prefix);
        }
        return new Report(backend.name(), verdicts, leftBehind);
    }

    private static Verdict createIfAbsent(AtomicRemoteBackend backend, String prefix) {
        String key = prefix + "create-twice";
        String name = "create-if-absent honoured";
        backend.put(key, bytes("first"), ConditionalPut.ifAbsent());
        try {
            backend.put(key, bytes("second"), ConditionalPut.ifAbsent());
            return new Verdict(name, Outcome.FAILS, true, "a second If-None-Match: * write of an existing key succeeded");
        } catch (BackendException e) {
            return preconditionOr(name, e, "the second create was refused with PreconditionFailed");
        }
    }

    private static Verdict staleIfMatch(AtomicRemoteBackend backend, String prefix) {
        String key = prefix + "stale";
        String name = "stale if-match refused";
        ObjectVersion v1 = backend.put(key, bytes("one"), ConditionalPut.ifAbsent());
        try {
            backend.put(key, bytes("two"), ConditionalPut.ifVersion(v1));
        } catch (BackendException e) {
            if (e.kind() == BackendException.Kind.PRECONDITION_FAILED) {
                return new Verdict(CURRENT_IF_MATCH, Outcome.FAILS, true, "a write with the current version was"
                        + " refused: the store wants another ETag spelling or ignores versions (for S3, try another profile)");
            }
            throw e;
        }
        try {
            backend.put(key, bytes("three"), ConditionalPut.ifVersion(v1));
            return new Verdict(name, Outcome.FAILS, true, "a write with a stale version succeeded");
        } catch (BackendException e) {
            if (e.kind() != BackendException.Kind.PRECONDITION_FAILED) {
                return preconditionOr(name, e, "");
            }
        }
        try {
            backend.put(prefix + "missing", bytes("x"), ConditionalPut.ifVersion(v1));
            return new Verdict(name, Outcome.FAILS, true, "If-Match on a missing key created it");
        } catch (BackendException e) {
            return preconditionOr(name, e, "a stale version and a missing key were both refused");
        }
    }

    /**
     * Two quick writes of equal-sized content must get different versions, or If-Match cannot
     * tell them apart (a server whose ETag is size and mtime in seconds fails this). Writing the
     * first content again must not bring its version back either; S3 ETags are content digests and
     * do exactly that, which the lease and ledger survive through their nonces, so for S3 this is
     * reported but not claimed.
     */
    private static Verdict versionPerWrite(AtomicRemoteBackend backend, String prefix) {
        String key = prefix + "versions";
        String name = "new version per write";
        ObjectVersion a = backend.put(key, bytes("aaaa"), ConditionalPut.ifAbsent());
        ObjectVersion b = backend.put(key, bytes("bbbb"), ConditionalPut.ifVersion(a));
        if (a.equals(b)) {
            return new Verdict(name, Outcome.FAILS, true, "two writes of different content got the same version " + a
                    + ": If-Match cannot tell them apart");
        }
        ObjectVersion again = backend.put(key, bytes("aaaa"), ConditionalPut.ifVersion(b));
        // ETags follow content; GCS generations do not, so a gs:// backend is held to this too.
        boolean claimed = !(backend instanceof S3Backend s3) || s3.settings().profile().generations();
        if (again.equals(a)) {
            return new Verdict(name, Outcome.FAILS, claimed, "rewriting earlier content brought its version " + a
                    + " back (versions follow content" + (claimed ? ")" : "; lease and ledger records carry nonces, so S3 is safe)"));
        }
        return new Verdict(name, Outcome.HOLDS, claimed, "three writes, three versions, even with repeated content");
    }

    private static Verdict conditionalDelete(AtomicRemoteBackend backend, String prefix) {
        String key = prefix + "delete";
        String name = "conditional delete honoured";
        ObjectVersion v1 = backend.put(key, bytes("one"), ConditionalPut.ifAbsent());
        backend.put(key, bytes("two"), ConditionalPut.ifVersion(v1));
        try {
            backend.deleteConditional(key, ConditionalDelete.ifVersion(v1));
        } catch (BackendException e) {
            if (e.kind() == BackendException.Kind.CONFIG) {
                return new Verdict(name, Outcome.REFUSED, false, "this backend refuses conditional deletes: " + e.getMessage());
            }
            if (e.kind() == BackendException.Kind.PRECONDITION_FAILED && backend.exists(key)) {
                return new Verdict(name, Outcome.HOLDS, true, "a delete with a stale version was refused and deleted nothing"
                        + (backend instanceof S3Backend s3 ? "; enabled by the " + s3.conditionalDeletes().evidence() : ""));
            }
            return preconditionOr(name, e, "");
        }
        return new Verdict(name, Outcome.FAILS, true, "a delete with a stale version " + (backend.exists(key)
                ? "reported success" : "deleted the object"));
    }

    private static Verdict etagSpelling(S3Backend s3, String prefix) {
        S3Backend.EtagSpelling spelling = s3.probeEtagSpelling(prefix + "etag");
        boolean profileQuoted = s3.settings().profile().quotedIfMatch();
        boolean ok = profileQuoted ? spelling.quotedAccepted() : spelling.unquotedAccepted();
        String detail = "If-Match with the ETag quoted: " + (spelling.quotedAccepted() ? "accepted" : "refused")
                + "; unquoted: " + (spelling.unquotedAccepted() ? "accepted" : "refused") + "; the "
                + s3.settings().profile().name().toLowerCase() + " profile sends it " + (profileQuoted ? "quoted" : "unquoted");
        return new Verdict("etag spelling", ok ? Outcome.HOLDS : Outcome.FAILS, true, detail);
    }

    private static Verdict createRace(AtomicRemoteBackend backend, String prefix, Settings s) throws InterruptedException {
        ContentionRaces.CreateRaceResult r;
        try {
            r = ContentionRaces.createRace(backend, prefix + "race/", s.createThreads(), s.createRounds());
        } catch (BackendException e) {
            return brokenByRace("create-if-absent atomic", e);
        }
        boolean holds = r.roundsWithoutExactlyOneWinner().isEmpty();
        return new Verdict("create-if-absent atomic", holds ? Outcome.HOLDS : Outcome.FAILS, true, r.toString());
    }

    private static Verdict incrementRace(AtomicRemoteBackend backend, String prefix, Settings s) throws InterruptedException {
        ContentionRaces.IncrementResult r;
        try {
            r = ContentionRaces.incrementRace(backend, prefix + "counter", s.incrementThreads(), s.incrementsPerThread());
        } catch (BackendException e) {
            return brokenByRace("if-match atomic", e);
        }
        boolean holds = r.finalValue() == r.successfulIncrements();
        return new Verdict("if-match atomic", holds ? Outcome.HOLDS : Outcome.FAILS, true, r.toString());
    }

    /** A race that ends in a corrupt object or a store that stops answering is a failed guarantee, not a crash. */
    private static Verdict brokenByRace(String name, BackendException e) {
        if (e.kind() == BackendException.Kind.CONFIG || e.kind() == BackendException.Kind.AUTH) {
            throw e;
        }
        return new Verdict(name, Outcome.FAILS, true, "the race ended in an error: " + e.getMessage());
    }

    private static Verdict preconditionOr(String name, BackendException e, String holdsDetail) {
        if (e.kind() == BackendException.Kind.PRECONDITION_FAILED) {
            return new Verdict(name, Outcome.HOLDS, true, holdsDetail);
        }
        throw e;
    }

    /**
     * Deletes every key under the probe's prefix, each on its own (one failed delete does not keep
     * the others), listing again until nothing is left or a pass deletes nothing more.
     *
     * @return the keys still there; the prefix names them for removal by hand
     */
    static List<String> cleanUp(AtomicRemoteBackend backend, String prefix) {
        List<String> left = List.of(prefix + "*");
        for (int pass = 0; pass < 3; pass++) {
            List<String> keys;
            try {
                keys = backend.list(prefix);
            } catch (BackendException e) {
                continue;
            }
            List<String> failed = new ArrayList<>();
            for (String key : keys) {
                try {
                    backend.delete(key);
                } catch (BackendException e) {
                    if (e.kind() != BackendException.Kind.NOT_FOUND) {
                        failed.add(key);
                    }
                }
            }
            left = failed;
            if (failed.isEmpty() || failed.size() == keys.size()) {
                break;
            }
        }
        return List.copyOf(left);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
