package dev.tenure.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.Lease;
import dev.tenure.lease.LeaseManager;
import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerOptions;
import dev.tenure.ledger.LedgerWriter;
import dev.tenure.snapshot.SnapshotOptions;
import dev.tenure.snapshot.SnapshotStore;
import dev.tenure.snapshot.SnapshotWriter;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Micrometer is optional: a class-path application that never names {@link MicrometerObserver}
 * runs leases, a ledger and a snapshot without the jar. Checked by loading Tenure again in a class
 * loader whose class path is this test's minus every Micrometer jar.
 */
class WithoutMicrometerTest {

    /** What an application without Micrometer does: a lease, ledger appends and a snapshot flush, with the default observer. */
    public static final class App implements Callable<String> {
        @Override
        public String call() throws Exception {
            InMemoryBackend store = new InMemoryBackend();
            StringBuilder out = new StringBuilder();
            try (LeaseManager leases = LeaseManager.builder(store, "app").build();
                    Lease lease = leases.tryAcquire("writer").orElseThrow()) {
                out.append(lease.fencingToken()).append(' ').append(leases.health().status());
                Ledger ledger = Ledger.open(store, "log", LedgerOptions.defaults());
                try (LedgerWriter writer = ledger.writer(lease.fencingToken(), "app")) {
                    out.append(' ').append(writer.append("x".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS));
                }
                Path dir = Files.createTempDirectory("tenure-no-micrometer");
                Path file = dir.resolve("db");
                SnapshotStore snapshots = SnapshotStore.open(store, "db", SnapshotOptions.defaults());
                try (SnapshotWriter writer = snapshots.writer(lease.fencingToken(), "app", file)) {
                    Files.writeString(file, "data");
                    out.append(" generation ").append(writer.flush().generation());
                }
            }
            return out.toString();
        }
    }

    /** Loads {@code App} and {@code MicrometerObserver} without Micrometer. */
    private static URLClassLoader withoutMicrometer() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains("micrometer")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    @Test
    void leasesLedgersAndSnapshotsRunWithoutTheMicrometerJar() throws Exception {
        assertTrue(System.getProperty("java.class.path").contains("micrometer-core"), "the test's own class path has Micrometer");
        try (URLClassLoader loader = withoutMicrometer()) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName("io.micrometer.core.instrument.MeterRegistry", false, loader));
            Class<?> app = Class.forName(App.class.getName(), true, loader);
            assertFalse(app == App.class, "loaded again, from the class path without Micrometer");
            Object result = ((Callable<?>) app.getConstructor().newInstance()).call();
            assertEquals("writer@1 LEADER 2/0 generation 1", result);
            // And the class loader does lack what the binding needs: naming MicrometerObserver is what pulls the jar in.
            Class<?> binding = Class.forName(MicrometerObserver.class.getName(), false, loader);
            Throwable missing = assertThrows(Throwable.class, () -> binding.getConstructors()[0].newInstance((Object) null));
            if (missing instanceof InvocationTargetException wrapped) {
                missing = wrapped.getCause();
            }
            assertTrue(missing instanceof NoClassDefFoundError || missing.getCause() instanceof ClassNotFoundException, missing.toString());
        }
    }
}
