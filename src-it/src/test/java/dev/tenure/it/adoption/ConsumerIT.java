package dev.tenure.it.adoption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Tenure as a user adopts it: the class path a user of the local store gets (and one of S3), and a
 * small application that runs on the module path, where only Tenure's exported packages can be
 * reached, and on the class path.
 */
class ConsumerIT {

    private static final Path ROOT = Path.of(System.getProperty("tenure.root", "..")).toAbsolutePath().normalize();
    private static final Path LOCAL = ROOT.resolve("src-it/consumers/local/target");
    private static final Path S3 = ROOT.resolve("src-it/consumers/s3/target");

    /** Jars (or class directories) on a consumer's runtime class path, Tenure's own apart. */
    record Footprint(List<Path> tenure, List<Path> others) {
        long bytes() {
            return Stream.concat(tenure.stream(), others.stream()).mapToLong(Footprint::size).sum();
        }

        long otherBytes() {
            return others.stream().mapToLong(Footprint::size).sum();
        }

        static long size(Path p) {
            try (Stream<Path> files = Files.walk(p)) {
                return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        String describe(String profile) {
            return String.format("%s: %d jars besides Tenure's %d, %.2f MB in all (%.2f MB besides Tenure's)", profile,
                    others.size(), tenure.size(), bytes() / 1e6, otherBytes() / 1e6);
        }
    }

    static Footprint footprint(Path target) throws IOException {
        String classpath = Files.readString(target.resolve("classpath.txt"), StandardCharsets.UTF_8).trim();
        List<Path> tenure = new ArrayList<>();
        List<Path> others = new ArrayList<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            Path p = Path.of(entry);
            boolean own = p.toString().contains("tenure-core") || p.toString().contains("tenure-lease")
                    || p.startsWith(ROOT.resolve("core")) || p.startsWith(ROOT.resolve("lease"));
            (own ? tenure : others).add(p);
        }
        return new Footprint(tenure, others);
    }

    @Test
    void aUserOfTheLocalStoreCarriesNoCloudSdk() throws IOException {
        Footprint local = footprint(LOCAL);
        Footprint s3 = footprint(S3);
        System.out.println("[footprint] " + local.describe("local only"));
        System.out.println("[footprint]   " + local.others().stream().map(p -> p.getFileName().toString()).sorted().toList());
        System.out.println("[footprint] " + s3.describe("S3"));
        assertTrue(local.others().stream().noneMatch(p -> p.toString().contains("awssdk") || p.toString().contains("httpclient")),
                "no AWS SDK or HTTP client for a local-only user: " + local.others());
        assertTrue(local.others().size() <= 10, "at most 10 jars besides Tenure's: " + local.others());
        // The goal: at most 10 jars besides Tenure's, and those under 4 MB (Tenure's own two add about 0.45 MB).
        assertTrue(local.otherBytes() < 4_000_000, "under 4 MB besides Tenure's: " + local.otherBytes() + " bytes");
        assertEquals(2, local.tenure().size(), "tenure-core and tenure-lease: " + local.tenure());
        assertTrue(s3.others().stream().anyMatch(p -> p.toString().contains("awssdk")), "an S3 user adds the SDK");
    }

    @Test
    void theConsumerRunsOnTheModulePathAndReachesOnlyTheApi() throws Exception {
        List<String> lines = run("--module-path", modulePath(), "-m", "consumer.local/consumer.local.Main");
        assertEquals("module: consumer.local", lines.get(0), lines.toString());
        checkBehaviour(lines);
        assertTrue(lines.contains("protocol package reachable: no"), lines.toString());
        assertTrue(lines.contains("internal package reachable: no"), lines.toString());
    }

    @Test
    void theConsumerRunsOnTheClassPath() throws Exception {
        List<String> lines = run("-cp", modulePath(), "consumer.local.Main");
        assertEquals("module: unnamed", lines.get(0), lines.toString());
        checkBehaviour(lines);
    }

    @Test
    void anS3UserOnTheModulePathReachesTheStore() throws Exception {
        Path jar;
        try (Stream<Path> jars = Files.list(S3)) {
            jar = jars.filter(p -> p.getFileName().toString().matches("tenure-consumer-s3-.*\\.jar")).findFirst().orElseThrow();
        }
        String path = jar + File.pathSeparator + Files.readString(S3.resolve("classpath.txt"), StandardCharsets.UTF_8).trim();
        // A closed port on loopback: the read must fail as a transport failure, proving the SDK, its HTTP client
        // and what they need from the JDK (jdk.net) all resolved on the module path; a missing class would not.
        List<String> lines = run(Map.of("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY", "example", "AWS_REGION", "us-east-1"),
                "--module-path", path, "-m", "consumer.aws/consumer.s3.Main");
        assertEquals("module: consumer.aws", lines.get(0), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("s3: TRANSPORT: ")), lines.toString());
    }

    private static void checkBehaviour(List<String> lines) {
        assertTrue(lines.contains("elected: epoch 1"), lines.toString());
        assertTrue(lines.contains("ledger: one,two,three"), lines.toString());
        String s3 = lines.stream().filter(l -> l.startsWith("s3: ")).findFirst().orElseThrow();
        assertTrue(s3.startsWith("s3: CONFIG: ") && s3.contains("software.amazon.awssdk:s3"),
                "opening s3:// without the SDK names the dependency to add: " + s3);
    }

    private static String modulePath() throws IOException {
        Path jar;
        try (Stream<Path> jars = Files.list(LOCAL)) {
            jar = jars.filter(p -> p.getFileName().toString().matches("tenure-consumer-local-.*\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no consumer jar in " + LOCAL + ": run the build's package phase"));
        }
        return jar + File.pathSeparator + Files.readString(LOCAL.resolve("classpath.txt"), StandardCharsets.UTF_8).trim();
    }

    private static List<String> run(String... args) throws Exception {
        return run(Map.of(), args);
    }

    private static List<String> run(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Arrays.asList(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(env);
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the consumer did not finish");
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }
}
