package dev.tenure.backend.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CapabilityProbeTest {

    private static final CapabilityProbe.Settings SMALL = new CapabilityProbe.Settings(8, 20, 4, 20);

    private static Map<String, CapabilityProbe.Verdict> byName(CapabilityProbe.Report report) {
        return report.verdicts().stream().collect(Collectors.toMap(CapabilityProbe.Verdict::guarantee, Function.identity()));
    }

    @Test
    void anAtomicStorePassesAndTheProbeCleansUp() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        CapabilityProbe.Report report = CapabilityProbe.run(store, SMALL);
        assertTrue(report.passed(), report.toString());
        assertTrue(report.verdicts().stream().allMatch(v -> v.outcome() == CapabilityProbe.Outcome.HOLDS), report.toString());
        assertEquals(List.of(), store.list(""), "the probe must leave nothing behind");
    }

    @Test
    void aStoreThatIgnoresConditionsFailsEveryConditionCheck() throws Exception {
        CapabilityProbe.Report report = CapabilityProbe.run(new IgnoresConditions(), SMALL);
        assertFalse(report.passed());
        Map<String, CapabilityProbe.Verdict> v = byName(report);
        assertEquals(CapabilityProbe.Outcome.FAILS, v.get("create-if-absent honoured").outcome());
        assertEquals(CapabilityProbe.Outcome.FAILS, v.get("stale if-match refused").outcome());
        assertEquals(CapabilityProbe.Outcome.FAILS, v.get("conditional delete honoured").outcome());
        assertEquals(CapabilityProbe.Outcome.FAILS, v.get("create-if-absent atomic").outcome());
    }

    @Test
    void aStoreWhoseVersionsFollowTheSizeIsCaught() throws Exception {
        CapabilityProbe.Report report = CapabilityProbe.run(new SizeVersions(), SMALL);
        CapabilityProbe.Verdict verdict = byName(report).get("new version per write");
        assertEquals(CapabilityProbe.Outcome.FAILS, verdict.outcome(), verdict.toString());
        assertTrue(verdict.broken() && !report.passed(), report.toString());
        assertTrue(verdict.detail().contains("same version size-4"), verdict.detail());
    }

    /**
     * One racer fails (AUTH) in a round while the others are mid-request; their writes land after
     * they were told to stop, as a request already sent does. The clean-up must wait for them, or it
     * lists the keys before the stragglers' writes land and leaves those behind.
     */
    @Test
    void aCheckFailingMidwayLeavesNothingBehindEvenWhenOtherRacersWriteLate() throws Exception {
        InMemoryBackend store = new InMemoryBackend("stragglers");
        AtomicBoolean failed = new AtomicBoolean();
        CountDownLatch listed = new CountDownLatch(1);
        CountDownLatch stragglersDone = new CountDownLatch(SMALL.createThreads() - 1);
        ForwardingAtomicBackend backend = new ForwardingAtomicBackend(store) {
            @Override
            public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
                if (!key.endsWith("/race/2")) {
                    return delegate.put(key, bytes, condition);
                }
                if (failed.compareAndSet(false, true)) {
                    throw BackendException.auth(key, "refused on purpose", null);
                }
                try {
                    new CountDownLatch(1).await(); // in flight until the probe stops the racers (an interrupt)
                } catch (InterruptedException stopped) {
                    // The request was already sent: it lands, after the clean-up has listed, if the clean-up did not wait.
                    try {
                        listed.await(1, TimeUnit.SECONDS);
                    } catch (InterruptedException again) {
                        Thread.currentThread().interrupt();
                    }
                }
                try {
                    return delegate.put(key, bytes, condition);
                } finally {
                    stragglersDone.countDown();
                }
            }

            @Override
            public List<String> list(String prefix) {
                List<String> keys = delegate.list(prefix);
                listed.countDown();
                return keys;
            }
        };
        BackendException e = assertThrows(BackendException.class, () -> CapabilityProbe.run(backend, SMALL));
        assertEquals(BackendException.Kind.AUTH, e.kind());
        assertTrue(stragglersDone.await(30, TimeUnit.SECONDS), "the stragglers' writes never landed");
        assertEquals(List.of(), store.list(""), "the probe must leave nothing behind");
    }

    /** The clean-up deletes each key on its own and reports what it could not delete. */
    @Test
    void keysTheCleanUpCannotDeleteAreReported() throws Exception {
        InMemoryBackend store = new InMemoryBackend("stubborn");
        CapabilityProbe.Report report = CapabilityProbe.run(new ForwardingAtomicBackend(store) {
            @Override
            public void delete(String key) {
                if (key.endsWith("stale")) {
                    throw BackendException.auth(key, "no delete permission", null);
                }
                delegate.delete(key);
            }
        }, SMALL);
        assertTrue(report.passed(), report.toString());
        assertEquals(1, report.leftBehind().size(), report.toString());
        assertTrue(report.leftBehind().get(0).endsWith("/stale"), report.toString());
        assertEquals(report.leftBehind(), store.list(""), "everything else was deleted");
    }

    /**
     * Answers versions made of the content's size, as a server whose ETag is size and mtime in
     * seconds does for quick writes; conditions are enforced, but against that weak version.
     */
    static final class SizeVersions extends ForwardingAtomicBackend {
        SizeVersions() {
            super(new InMemoryBackend("size-versions"));
        }

        private ObjectVersion sized(int length) {
            return ObjectVersion.of("size-" + length);
        }

        @Override
        public synchronized ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            ConditionalPut real = condition;
            if (condition instanceof ConditionalPut.IfVersion v) {
                var current = delegate.read(key);
                boolean matches = current.isPresent() && sized(current.get().value().length).equals(v.version());
                real = ConditionalPut.ifVersion(matches ? current.get().version() : ObjectVersion.of("no-such-version"));
            }
            delegate.put(key, bytes, real);
            return sized(bytes.length);
        }
    }

    /** Writes and deletes unconditionally whatever condition it is given: what some emulators do. */
    static final class IgnoresConditions extends ForwardingAtomicBackend {
        IgnoresConditions() {
            super(new InMemoryBackend("ignores-conditions"));
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            delegate.delete(key);
            return delegate.put(key, bytes, ConditionalPut.ifAbsent());
        }

        @Override
        public void deleteConditional(String key, ConditionalDelete condition) {
            delegate.delete(key);
        }
    }
}
