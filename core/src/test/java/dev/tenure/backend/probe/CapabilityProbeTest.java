package dev.tenure.backend.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import java.util.List;
import java.util.Map;
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
