package dev.tenure.cli;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendUris;
import dev.tenure.backend.http.AtomicHttpBackend;
import dev.tenure.backend.http.HttpSettings;
import dev.tenure.backend.probe.CapabilityProbe;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Checks that a store truly enforces compare-and-swap: the capability probe, then bounded
 * contention races. Exits 1 when a guarantee the backend's configuration claims does not hold.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Checks that a backend truly enforces compare-and-swap: each condition, then contention races.",
            "Exits 0 when every claimed guarantee holds, 1 when one fails, 2 on a usage or configuration error."})
final class VerifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BACKEND-URI",
            description = "file:///dir, mem:, s3://bucket/prefix?endpoint=...&region=...&profile=aws|r2|gcs|spaces|minio|ceph|generic"
                    + " (credentials from the AWS default chain), az://account/container/prefix?endpoint=..."
                    + " (credentials from credentialsFile=... or AZURE_STORAGE_*), or http(s)://host/path/ (a WebDAV-style server;"
                    + " the authorization header from authFile=... or TENURE_HTTP_AUTHORIZATION).")
    String uri;

    @Option(names = "--create-writers", defaultValue = "32", description = "Writers racing create-if-absent. Default: ${DEFAULT-VALUE}.")
    int createWriters;

    @Option(names = "--create-rounds", defaultValue = "50", description = "Rounds of the create race. Default: ${DEFAULT-VALUE}.")
    int createRounds;

    @Option(names = "--increment-writers", defaultValue = "8", description = "Writers doing if-match increments. Default: ${DEFAULT-VALUE}.")
    int incrementWriters;

    @Option(names = "--increments", defaultValue = "50", description = "Successful increments per writer. Default: ${DEFAULT-VALUE}.")
    int increments;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        CapabilityProbe.Settings settings = new CapabilityProbe.Settings(createWriters, createRounds, incrementWriters, increments);
        Consumer<CapabilityProbe.Verdict> print = v -> {
            out.printf("  %-28s %-8s %s%n", v.guarantee(), v.outcome().name(), v.detail());
            out.flush();
        };
        CapabilityProbe.Report report;
        if (uri.startsWith("http://") || uri.startsWith("https://")) {
            // Probed whatever the URI claims: finding out whether the claim may be made is the point.
            HttpSettings http = HttpSettings.fromUri(uri);
            out.printf("tenure verify: http %s%n", http.baseUrl());
            out.flush();
            report = AtomicHttpBackend.probe(http, settings, print);
        } else {
            try (AtomicRemoteBackend backend = BackendUris.openAtomic(uri)) {
                out.printf("tenure verify: %s%n", backend.name());
                out.flush();
                report = CapabilityProbe.run(backend, settings, print);
            }
        }
        out.printf("%s%n", report.passed()
                ? "verdict: every guarantee this configuration claims holds"
                : "verdict: FAILED: a guarantee this configuration claims does not hold; do not run leases on it");
        return report.passed() ? 0 : 1;
    }
}
