package dev.tenure.lease;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.RemoteBackend;
import dev.tenure.backend.d1.D1Backend;
import dev.tenure.backend.http.HttpBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.backend.turso.TursoBackend;
import dev.tenure.backend.turso.TursoSettings;
import java.net.URI;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Snapshot-transport backends cannot be handed to a lease, a ledger or a fenced snapshot store: the program does not
 * compile. Proved by compiling it, next to a control that hands over an atomic backend and does.
 */
class NonAtomicBackendsTest {

    /** Every backend that is snapshot transport only. A new one is one more line here. */
    static Stream<Class<? extends RemoteBackend>> snapshotOnlyBackends() {
        return Stream.of(TursoBackend.class, D1Backend.class, HttpBackend.class);
    }

    /** The entry points that need compare-and-swap; each is put on line {@link #USE_LINE} of the probe. */
    private static final List<String> ENTRY_POINTS = List.of(
            "LeaseManager.builder(backend, \"holder-1\")",
            "Ledger.open(backend, \"ledger-1\", LedgerOptions.defaults())",
            "SnapshotStore.open(backend, \"snapshot-1\", SnapshotOptions.defaults())");
    private static final int USE_LINE = 11;

    private static String probe(Class<?> backendType, String use) {
        String source = String.join("\n",
                "package probe;",
                "",
                "import dev.tenure.lease.LeaseManager;",
                "import dev.tenure.ledger.Ledger;",
                "import dev.tenure.ledger.LedgerOptions;",
                "import dev.tenure.snapshot.SnapshotOptions;",
                "import dev.tenure.snapshot.SnapshotStore;",
                "",
                "class Probe {",
                "    static Object use(" + backendType.getName() + " backend) {",
                "        return " + use + ";",
                "    }",
                "}",
                "");
        if (!source.lines().skip(USE_LINE - 1).findFirst().orElseThrow().contains(use)) {
            throw new IllegalStateException("the use must stand on line " + USE_LINE);
        }
        return source;
    }

    @ParameterizedTest
    @MethodSource("snapshotOnlyBackends")
    void handingItToALeaseOrALedgerDoesNotCompile(Class<? extends RemoteBackend> backend) {
        for (String use : ENTRY_POINTS) {
            CompileCheck.Outcome outcome = CompileCheck.compile("Probe", probe(backend, use));
            assertFalse(outcome.compiled(), backend.getSimpleName() + " was accepted by " + use);
            assertTrue(outcome.hasErrorAt(USE_LINE, "incompatible types", backend.getSimpleName(), "AtomicRemoteBackend"),
                    () -> use + ": expected an incompatible-types error on line " + USE_LINE + ", got " + outcome.errors());
        }
    }

    @Test
    void theSameProgramWithAnAtomicBackendCompiles() {
        for (String use : ENTRY_POINTS) {
            CompileCheck.Outcome outcome = CompileCheck.compile("Probe", probe(InMemoryBackend.class, use));
            assertTrue(outcome.compiled(), () -> use + ": " + outcome.errors());
        }
    }

    @Test
    void chosenAtRunTimeItIsRefusedBeforeAnyRequest() {
        // No request is sent: the port is closed and nothing would answer.
        try (TursoBackend backend = TursoBackend.open(TursoSettings.builder(URI.create("http://127.0.0.1:9")).build())) {
            RemoteBackend configured = backend;
            LeaseConfigurationException e = assertThrows(LeaseConfigurationException.class,
                    () -> LeaseManager.builderRequiringLease(configured, "holder-1"));
            assertTrue(e.getMessage().contains("not an AtomicRemoteBackend"), e.getMessage());
        }
    }
}
