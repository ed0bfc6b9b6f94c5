package dev.tenure.backend.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.probe.ContentionRaces;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.junit.jupiter.api.Test;

/**
 * The whole conformance suite: what every {@link AtomicRemoteBackend} must pass on top of
 * {@link RemoteBackendContract}: conditional semantics, unique versions, and atomicity under
 * contention, proved by racing real threads.
 *
 * @param <B> the backend type under test
 */
public abstract class AtomicRemoteBackendContract<B extends AtomicRemoteBackend> extends RemoteBackendContract<B> {

    /** How hard the contention tests push; real servers may lower the counts. */
    protected RaceSettings raceSettings() {
        return RaceSettings.DEFAULT;
    }

    /**
     * Whether the store enforces {@code ConditionalDelete}. A backend that cannot must refuse it
     * with a CONFIG error rather than delete unconditionally; the suite checks whichever applies.
     */
    protected boolean enforcesConditionalDelete() {
        return true;
    }

    /**
     * Whether every write gets a version no other write of the key gets, even with equal bytes.
     * True for Tenure's own backends. S3 ETags are content digests, so equal bytes give equal
     * ETags there; that is why every lease and ledger object carries a per-write nonce (the
     * "no ABA" rule), and the suite then writes distinct contents where it needs distinct versions.
     */
    protected boolean versionsUniquePerWrite() {
        return true;
    }

    /** Content for the n-th write of a test: equal bytes when versions are per write, distinct otherwise. */
    private byte[] sameOrDistinct(String content, int n) {
        return utf8(versionsUniquePerWrite() ? content : content + "#" + n);
    }

    // ---- put -----------------------------------------------------------------------------------

    @Test
    void putIfAbsentCreatesOnceAndNeverOverwrites() {
        ObjectVersion v1 = backend.put(key("k"), utf8("first"), ConditionalPut.ifAbsent());
        BackendException e = assertThrows(BackendException.class,
                () -> backend.put(key("k"), utf8("second"), ConditionalPut.ifAbsent()));
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, e.kind(), e.toString());
        assertFalse(e.ambiguous());
        Versioned<byte[]> stored = backend.read(key("k")).orElseThrow();
        assertArrayEquals(utf8("first"), stored.value());
        assertEquals(v1, stored.version());
    }

    @Test
    void putIfVersionAppliesOnlyToTheCurrentVersion() {
        ObjectVersion v1 = backend.put(key("k"), utf8("one"), ConditionalPut.ifAbsent());
        ObjectVersion v2 = backend.put(key("k"), utf8("two"), ConditionalPut.ifVersion(v1));
        assertNotEquals(v1, v2);
        BackendException stale = assertThrows(BackendException.class,
                () -> backend.put(key("k"), utf8("three"), ConditionalPut.ifVersion(v1)));
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, stale.kind(), stale.toString());
        Versioned<byte[]> stored = backend.read(key("k")).orElseThrow();
        assertArrayEquals(utf8("two"), stored.value());
        assertEquals(v2, stored.version());
    }

    @Test
    void putIfVersionOnAMissingKeyFailsTheCondition() {
        ObjectVersion elsewhere = backend.put(key("other"), utf8("x"), ConditionalPut.ifAbsent());
        BackendException e = assertThrows(BackendException.class,
                () -> backend.put(key("missing"), utf8("y"), ConditionalPut.ifVersion(elsewhere)));
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, e.kind(), e.toString());
        assertFalse(backend.exists(key("missing")));
    }

    @Test
    void putIfVersionWithAnUnknownTokenFailsTheCondition() {
        backend.put(key("k"), utf8("x"), ConditionalPut.ifAbsent());
        BackendException e = assertThrows(BackendException.class,
                () -> backend.put(key("k"), utf8("y"), ConditionalPut.ifVersion(ObjectVersion.of("no-such-version"))));
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, e.kind(), e.toString());
        assertArrayEquals(utf8("x"), backend.read(key("k")).orElseThrow().value());
    }

    @Test
    void everyWriteGetsANewVersion() {
        ObjectVersion v1 = backend.put(key("k"), sameOrDistinct("same", 1), ConditionalPut.ifAbsent());
        ObjectVersion v2 = backend.put(key("k"), sameOrDistinct("same", 2), ConditionalPut.ifVersion(v1));
        assertNotEquals(v1, v2, versionsUniquePerWrite() ? "a version must identify a write, not a content" : "new content, new version");
        assertThrows(BackendException.class, () -> backend.put(key("k"), utf8("x"), ConditionalPut.ifVersion(v1)));
        if (!versionsUniquePerWrite()) {
            System.out.printf("[conformance] %s: versions are content digests (equal bytes, equal version);"
                    + " Tenure's records carry a nonce so no version repeats%n", backend.name());
        }
    }

    @Test
    void versionsAreNotReusedAfterDeleteAndRecreate() {
        Set<ObjectVersion> seen = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            ObjectVersion v = backend.put(key("k"), sameOrDistinct("same", i), ConditionalPut.ifAbsent());
            assertTrue(seen.add(v), "version " + v + " was reused after delete");
            backend.delete(key("k"));
        }
    }

    @Test
    void theVersionReturnedByPutIsTheOneReadAndListed() {
        ObjectVersion v = backend.put(key("k"), utf8("content"), ConditionalPut.ifAbsent());
        assertEquals(Optional.of(v), backend.objectVersion(key("k")));
        assertEquals(v, backend.read(key("k")).orElseThrow().version());
        backend.upload(localFileUnchecked(utf8("plain")), key("k"));
        ObjectVersion afterPlain = backend.objectVersion(key("k")).orElseThrow();
        assertNotEquals(v, afterPlain, "an unconditional upload is a write too");
        assertThrows(BackendException.class, () -> backend.put(key("k"), utf8("x"), ConditionalPut.ifVersion(v)));
    }

    @Test
    void readAndObjectVersionOfAMissingKeyAreEmpty() {
        assertEquals(Optional.empty(), backend.read(key("missing")));
        assertEquals(Optional.empty(), backend.objectVersion(key("missing")));
    }

    @Test
    void callersArraysAreNotShared() {
        byte[] content = utf8("original");
        backend.put(key("k"), content, ConditionalPut.ifAbsent());
        content[0] = 'X';
        byte[] read = backend.read(key("k")).orElseThrow().value();
        assertArrayEquals(utf8("original"), read);
        read[0] = 'Y';
        assertArrayEquals(utf8("original"), backend.read(key("k")).orElseThrow().value());
    }

    @Test
    void uploadConditionalFollowsTheSameRules() throws IOException {
        Path file = localFile(utf8("from a file"));
        ObjectVersion v1 = backend.uploadConditional(file, key("k"), ConditionalPut.ifAbsent());
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, assertThrows(BackendException.class,
                () -> backend.uploadConditional(file, key("k"), ConditionalPut.ifAbsent())).kind());
        ObjectVersion v2 = backend.uploadConditional(localFile(utf8("newer")), key("k"), ConditionalPut.ifVersion(v1));
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, assertThrows(BackendException.class,
                () -> backend.uploadConditional(file, key("k"), ConditionalPut.ifVersion(v1))).kind());
        assertEquals(v2, backend.read(key("k")).orElseThrow().version());
        assertArrayEquals(utf8("newer"), downloadBytes(key("k")));
    }

    @Test
    void badKeysAreRefusedByTheConditionalMethodsToo() {
        for (String bad : BAD_KEYS) {
            assertConfigErrorNaming(bad, () -> backend.put(bad, utf8("x"), ConditionalPut.ifAbsent()));
            assertConfigErrorNaming(bad, () -> backend.read(bad));
            assertConfigErrorNaming(bad, () -> backend.objectVersion(bad));
            assertConfigErrorNaming(bad, () -> backend.deleteConditional(bad, ConditionalDelete.ifVersion(ObjectVersion.of("v"))));
        }
    }

    // ---- conditional delete --------------------------------------------------------------------

    @Test
    void deleteConditionalHonoursTheVersionOrRefusesOutright() {
        ObjectVersion v1 = backend.put(key("k"), utf8("one"), ConditionalPut.ifAbsent());
        ObjectVersion v2 = backend.put(key("k"), utf8("two"), ConditionalPut.ifVersion(v1));
        BackendException stale = assertThrows(BackendException.class,
                () -> backend.deleteConditional(key("k"), ConditionalDelete.ifVersion(v1)));
        assertTrue(backend.exists(key("k")), "a refused conditional delete must delete nothing");
        if (!enforcesConditionalDelete()) {
            assertEquals(BackendException.Kind.CONFIG, stale.kind(), stale.toString());
            return;
        }
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, stale.kind(), stale.toString());
        backend.deleteConditional(key("k"), ConditionalDelete.ifVersion(v2));
        assertFalse(backend.exists(key("k")));
        BackendException missing = assertThrows(BackendException.class,
                () -> backend.deleteConditional(key("k"), ConditionalDelete.ifVersion(v2)));
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, missing.kind(), missing.toString());
    }

    // ---- contention ----------------------------------------------------------------------------

    @Test
    void createIfAbsentHasExactlyOneWinnerEveryRound() throws Exception {
        RaceSettings s = raceSettings();
        ContentionRaces.CreateRaceResult result = ContentionRaces.createRace(backend, ns + "race/", s.createThreads(), s.createRounds());
        System.out.printf("[conformance] %s create race: %s%n", backend.name(), result);
        assertEquals(List.of(), result.roundsWithoutExactlyOneWinner(), "rounds without exactly one winner");
        assertEquals(s.createRounds(), result.rounds());
    }

    @Test
    void ifVersionIncrementsNeverLoseAnUpdate() throws Exception {
        RaceSettings s = raceSettings();
        ContentionRaces.IncrementResult result = ContentionRaces.incrementRace(backend, key("counter"), s.incrementThreads(), s.incrementsPerThread());
        System.out.printf("[conformance] %s increment race: %s%n", backend.name(), result);
        assertEquals(result.successfulIncrements(), result.finalValue(), "final counter vs successful increments");
        assertEquals((long) s.incrementThreads() * s.incrementsPerThread(), result.successfulIncrements());
    }

    // ---- model-based property ------------------------------------------------------------------

    /** One step of a random history against an atomic backend. */
    sealed interface AtomicOp {
        int key();
    }

    record PutIfAbsent(int key, int value) implements AtomicOp {
    }

    /** {@code version} picks among versions seen so far; 0 means a token never issued. */
    record PutIfVersion(int key, int value, int version) implements AtomicOp {
    }

    record PutPlain(int key, int value) implements AtomicOp {
    }

    record Read(int key) implements AtomicOp {
    }

    record DeletePlain(int key) implements AtomicOp {
    }

    record DeleteIfVersion(int key, int version) implements AtomicOp {
    }

    record ListKeys(int key) implements AtomicOp {
    }

    @Provide
    Arbitrary<List<AtomicOp>> atomicOps() {
        Arbitrary<Integer> keys = Arbitraries.integers().between(0, MODEL_KEYS.size() - 1);
        Arbitrary<Integer> values = Arbitraries.integers().between(0, 2);
        Arbitrary<Integer> versions = Arbitraries.integers().between(0, 6);
        return Arbitraries.<AtomicOp>frequencyOf(
                net.jqwik.api.Tuple.of(3, Combinators.combine(keys, values).as(PutIfAbsent::new)),
                net.jqwik.api.Tuple.of(4, Combinators.combine(keys, values, versions).as(PutIfVersion::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(keys, values).as(PutPlain::new)),
                net.jqwik.api.Tuple.of(3, keys.map(Read::new)),
                net.jqwik.api.Tuple.of(1, keys.map(DeletePlain::new)),
                net.jqwik.api.Tuple.of(enforcesConditionalDelete() ? 2 : 0, Combinators.combine(keys, versions).as(DeleteIfVersion::new)),
                net.jqwik.api.Tuple.of(1, keys.map(ListKeys::new))).list().ofMaxSize(50);
    }

    /**
     * Random histories give the same outcome on the backend as on a map of (content, write id):
     * every condition succeeds or fails as the model says, every read returns the model's content
     * with the version of the model's write, and no version is ever issued twice.
     */
    @Property(tries = 60)
    @AddLifecycleHook(UnavailableBackendHook.class)
    void atomicHistoriesMatchASimpleModel(@ForAll("atomicOps") List<AtomicOp> history) throws Exception {
        B b = newBackend();
        String prefix = "model-" + UUID.randomUUID() + "/";
        try {
            record Entry(byte[] content, int writeId) {
            }
            TreeMap<String, Entry> model = new TreeMap<>();
            Map<ObjectVersion, Integer> writeOf = new HashMap<>();
            List<ObjectVersion> issued = new ArrayList<>();
            int writes = 0;
            for (AtomicOp op : history) {
                String k = prefix + MODEL_KEYS.get(op.key());
                Entry current = model.get(k);
                if (op instanceof Read) {
                    Optional<Versioned<byte[]>> got = b.read(k);
                    assertEquals(current != null, got.isPresent(), () -> "read " + k + " in " + history);
                    if (current != null) {
                        assertArrayEquals(current.content(), got.get().value());
                        assertEquals(current.writeId(), writeOf.get(got.get().version()), "version of " + k);
                    }
                    continue;
                }
                if (op instanceof ListKeys) {
                    assertEquals(new ArrayList<>(model.keySet()), b.list(prefix));
                    continue;
                }
                if (op instanceof DeletePlain) {
                    b.delete(k);
                    model.remove(k);
                    continue;
                }
                if (op instanceof DeleteIfVersion d) {
                    ObjectVersion v = pick(issued, d.version());
                    boolean holds = current != null && Integer.valueOf(current.writeId()).equals(writeOf.get(v));
                    Optional<BackendException> failure = attempt(() -> b.deleteConditional(k, ConditionalDelete.ifVersion(v)));
                    assertOutcome(holds, failure, op, history);
                    if (holds) {
                        model.remove(k);
                    }
                    continue;
                }
                byte[] content;
                ConditionalPut condition;
                boolean holds;
                String suffix = versionsUniquePerWrite() ? "" : "#" + (writes + 1);
                if (op instanceof PutIfAbsent p) {
                    content = utf8("v" + p.value() + suffix);
                    condition = ConditionalPut.ifAbsent();
                    holds = current == null;
                } else if (op instanceof PutIfVersion p) {
                    content = utf8("v" + p.value() + suffix);
                    ObjectVersion v = pick(issued, p.version());
                    condition = ConditionalPut.ifVersion(v);
                    holds = current != null && Integer.valueOf(current.writeId()).equals(writeOf.get(v));
                } else {
                    content = utf8("v" + ((PutPlain) op).value() + suffix);
                    condition = null;
                    holds = true;
                }
                ObjectVersion[] written = new ObjectVersion[1];
                Optional<BackendException> failure = attempt(() -> {
                    if (condition == null) {
                        b.upload(writeTemp(content), k);
                        written[0] = b.objectVersion(k).orElseThrow();
                    } else {
                        written[0] = b.put(k, content, condition);
                    }
                });
                assertOutcome(holds, failure, op, history);
                if (holds) {
                    writes++;
                    assertFalse(writeOf.containsKey(written[0]), "version " + written[0] + " issued twice");
                    writeOf.put(written[0], writes);
                    issued.add(written[0]);
                    model.put(k, new Entry(content, writes));
                }
            }
        } finally {
            b.close();
            discardBackend(b);
        }
    }

    private Path writeTemp(byte[] content) {
        try {
            Path f = Files.createTempFile("tenure-model-", ".bin");
            f.toFile().deleteOnExit();
            Files.write(f, content);
            return f;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ObjectVersion pick(List<ObjectVersion> issued, int choice) {
        if (choice == 0 || issued.isEmpty()) {
            return ObjectVersion.of("never-issued-" + choice);
        }
        return issued.get(issued.size() - 1 - (choice - 1) % issued.size());
    }

    private static Optional<BackendException> attempt(Runnable action) {
        try {
            action.run();
            return Optional.empty();
        } catch (BackendException e) {
            return Optional.of(e);
        }
    }

    private static void assertOutcome(boolean holds, Optional<BackendException> failure, AtomicOp op, List<AtomicOp> history) {
        if (holds) {
            assertTrue(failure.isEmpty(), () -> op + " should succeed but failed with " + failure.get() + " in " + history);
        } else {
            assertTrue(failure.isPresent(), () -> op + " should fail its condition but succeeded in " + history);
            assertEquals(BackendException.Kind.PRECONDITION_FAILED, failure.get().kind(), () -> op + ": " + failure.get());
        }
    }

    private Path localFileUnchecked(byte[] content) {
        try {
            return localFile(content);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
