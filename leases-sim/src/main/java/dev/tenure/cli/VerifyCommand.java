package dev.tenure.cli;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.backend.uri.BackendUris;
import dev.tenure.backend.uri.Scheme;
import dev.tenure.backend.http.AtomicHttpBackend;
import dev.tenure.backend.http.HttpSettings;
import dev.tenure.backend.probe.CapabilityProbe;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Checks that a store truly enforces compare-and-swap: the capability probe, then bounded
 * contention races. Exits 1 when a guarantee the backend's configuration claims does not hold.
 * Everything it writes lives under {@code tenure-probe/} and is deleted at the end, also when a
 * check fails midway; a missing {@code file:} directory is an error unless {@code --create} says to
 * make it.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Checks that a backend truly enforces compare-and-swap: each condition, then contention races.",
            "Everything it writes is under tenure-probe/ and is deleted at the end. A file: directory must exist (or --create).",
            "Exits 0 when every claimed guarantee holds, 1 when one fails, 2 on a usage or configuration error."})
final class VerifyCommand implements Callable<Integer>, Bounds.Checked {

    /** Where the probe writes, under the backend's root or prefix (CapabilityProbe's choice). */
    static final String PROBE_PREFIX = "tenure-probe";
    /** Writers racing: past this a probe measures the machine's threads, not the store. */
    static final int MAX_WRITERS = 256;
    static final int MAX_ROUNDS = 10_000;

    private final Function<String, AtomicRemoteBackend> opener;

    VerifyCommand() {
        this(BackendUris::openAtomic);
    }

    /** With the backends opened by {@code opener} (tests keep an in-memory store to list afterwards). */
    VerifyCommand(Function<String, AtomicRemoteBackend> opener) {
        this.opener = opener;
    }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BACKEND-URI", completionCandidates = BackendOption.AtomicForms.class,
            description = "${COMPLETION-CANDIDATES}. An http(s) server is probed whatever its URI claims; credentials"
                    + " never go in the URI (see the backends documentation).")
    String uri;

    @Option(names = "--create", description = "Create a missing file: directory (by default a missing directory is an error,"
            + " so a typo is not verified as a new, empty store).")
    boolean create;

    @Option(names = "--create-writers", defaultValue = "32", description = "Writers racing create-if-absent (2 to 256). Default: ${DEFAULT-VALUE}.")
    int createWriters;

    @Option(names = "--create-rounds", defaultValue = "50", description = "Rounds of the create race (1 to 10,000). Default: ${DEFAULT-VALUE}.")
    int createRounds;

    @Option(names = "--increment-writers", defaultValue = "8", description = "Writers doing if-match increments (2 to 256). Default: ${DEFAULT-VALUE}.")
    int incrementWriters;

    @Option(names = "--increments", defaultValue = "50", description = "Successful increments per writer (1 to 10,000). Default: ${DEFAULT-VALUE}.")
    int increments;

    @Override
    public void checkBounds() {
        Bounds.check(spec, "--create-writers", createWriters, 2, MAX_WRITERS, "a race needs two writers");
        Bounds.check(spec, "--create-rounds", createRounds, 1, MAX_ROUNDS);
        Bounds.check(spec, "--increment-writers", incrementWriters, 2, MAX_WRITERS, "a race needs two writers");
        Bounds.check(spec, "--increments", increments, 1, MAX_ROUNDS);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        CapabilityProbe.Settings settings = new CapabilityProbe.Settings(createWriters, createRounds, incrementWriters, increments);
        Consumer<CapabilityProbe.Verdict> print = v -> {
            out.printf("  %-28s %-8s %s%n", v.guarantee(), v.outcome().name(), v.detail());
            out.flush();
        };
        CapabilityProbe.Report report;
        if (Scheme.of(uri).filter(s -> s == Scheme.HTTP || s == Scheme.HTTPS).isPresent()) {
            // Probed whatever the URI claims: finding out whether the claim may be made is the point.
            HttpSettings http = HttpSettings.fromUri(uri);
            out.printf("tenure verify: http %s%n", http.baseUrl());
            out.flush();
            report = AtomicHttpBackend.probe(http, settings, print);
        } else {
            if (Scheme.of(uri).filter(s -> s == Scheme.FILE).isPresent()) {
                Path dir = BackendUris.fileDirectory(uri);
                if (!create && !Files.exists(dir)) {
                    throw BackendException.config(null, "directory " + dir + " does not exist: verify checks a store that"
                            + " exists; give --create to make it", null);
                }
            }
            try (AtomicRemoteBackend backend = opener.apply(uri)) {
                out.printf("tenure verify: %s%n", backend.name());
                out.flush();
                try {
                    report = CapabilityProbe.run(backend, settings, print);
                } finally {
                    if (backend instanceof LocalBackend local) {
                        removeEmptyProbeDirectories(local.root().resolve(PROBE_PREFIX));
                    }
                }
            }
        }
        if (!report.leftBehind().isEmpty()) {
            List<String> left = report.leftBehind();
            out.printf("WARNING: %d probe object%s could not be deleted; remove them by hand: %s%s%n", left.size(),
                    left.size() == 1 ? "" : "s", String.join(", ", left.subList(0, Math.min(5, left.size()))),
                    left.size() > 5 ? ", ..." : "");
        }
        out.printf("%s%n", report.passed()
                ? "verdict: every guarantee this configuration claims holds"
                : "verdict: FAILED: a guarantee this configuration claims does not hold; do not run leases on it");
        return report.passed() ? 0 : 1;
    }

    /**
     * A file: store keeps a key's directories after the key is deleted; the probe's keys are gone,
     * so its empty directories go too (deepest first; a directory holding anything stays).
     */
    private static void removeEmptyProbeDirectories(Path probeRoot) {
        if (!Files.isDirectory(probeRoot)) {
            return;
        }
        try (Stream<Path> all = Files.walk(probeRoot)) {
            for (Path dir : all.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                try (Stream<Path> inside = Files.list(dir)) {
                    if (inside.findAny().isEmpty()) {
                        Files.delete(dir);
                    }
                }
            }
        } catch (IOException e) {
            // Empty directories are litter, not data: the verdict stands.
        }
    }
}
