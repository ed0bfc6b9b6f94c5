package dev.tenure.bench;

import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.local.LocalBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@link LocalBackend}'s compare-and-swap (read, conditional put, one key, one thread) against the
 * hand-written loop doing the same file-system work without Tenure (read the file, write a
 * temporary file, fsync it, rename it over the key's file, fsync the directory), in paired runs:
 * each pair runs both for the same time, back to back, in alternating order, so that a machine
 * shared with other work slows both alike. Prints each pair's ratio and their min/median/max.
 */
public final class LocalCasPairs {

    private static final String KEY = "bench/cas";

    private LocalCasPairs() {
    }

    /** The ratio of each pair, Tenure's operations per second over the raw loop's. */
    public static List<Double> run(Path parent, int pairs, Duration each, PrintWriter out) throws IOException {
        Path base = Files.createTempDirectory(parent, "tenure-cas-pairs");
        try {
            LocalBackend backend = LocalBackend.create(base.resolve("tenure"));
            byte[] payload = new byte[200];
            backend.put(KEY, payload, ConditionalPut.ifAbsent());
            Raw raw = new Raw(base.resolve("raw"), payload);
            Runnable tenure = () -> {
                Versioned<byte[]> current = backend.read(KEY).orElseThrow();
                backend.put(KEY, payload, ConditionalPut.ifVersion(current.version()));
            };
            // Warm-up: compile both paths before the first pair counts.
            for (int i = 0; i < 3; i++) {
                rate(tenure, each);
                rate(raw::cas, each);
            }
            List<Double> ratios = new ArrayList<>();
            List<Double> cpuRatios = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                Rate t;
                Rate r;
                if (i % 2 == 0) {
                    t = rate(tenure, each);
                    r = rate(raw::cas, each);
                } else {
                    r = rate(raw::cas, each);
                    t = rate(tenure, each);
                }
                ratios.add(t.perSecond() / r.perSecond());
                cpuRatios.add(r.cpuMicrosPerOp() / t.cpuMicrosPerOp());
                out.printf("pair %d: tenure %,.0f ops/s (%.1f us CPU/op), raw %,.0f ops/s (%.1f us CPU/op): ratio %.2f by wall time,"
                        + " %.2f by CPU%n", i + 1, t.perSecond(), t.cpuMicrosPerOp(), r.perSecond(), r.cpuMicrosPerOp(),
                        t.perSecond() / r.perSecond(), r.cpuMicrosPerOp() / t.cpuMicrosPerOp());
                out.flush();
            }
            out.printf("ratio tenure/raw on %s over %d pairs, by wall time: %s; by CPU per operation: %s%n", parent, pairs,
                    spread(ratios), spread(cpuRatios));
            return ratios;
        } finally {
            try (Stream<Path> all = Files.walk(base)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String spread(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return String.format("min %.2f, median %.2f, max %.2f", sorted.get(0), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1));
    }

    /** Operations per second of wall time, and this thread's CPU time (user and system) per operation. */
    private record Rate(double perSecond, double cpuMicrosPerOp) {
    }

    private static Rate rate(Runnable op, Duration each) {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long end = start + each.toNanos();
        long n = 0;
        long now;
        do {
            op.run();
            n++;
            now = System.nanoTime();
        } while (now < end);
        long cpu = threads.getCurrentThreadCpuTime() - cpu0;
        return new Rate(n * 1e9 / (now - start), cpu / 1e3 / n);
    }

    /** The baseline loop: the same I/O as a local compare-and-swap, no lock, header or checksum. */
    private static final class Raw {
        private final Path dir;
        private final Path tmpDir;
        private final Path file;
        private final byte[] payload;
        private long counter;

        Raw(Path root, byte[] payload) throws IOException {
            this.dir = Files.createDirectories(root.resolve("bench"));
            this.tmpDir = Files.createDirectories(root.resolve("tmp"));
            this.file = dir.resolve("cas");
            this.payload = payload;
            Files.write(file, payload);
        }

        void cas() {
            try {
                byte[] current = Files.readAllBytes(file);
                if (current.length != payload.length) {
                    throw new IllegalStateException("raw loop read " + current.length + " bytes");
                }
                Path tmp = tmpDir.resolve(Long.toHexString(++counter) + ".tmp");
                try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    ByteBuffer bytes = ByteBuffer.wrap(payload);
                    while (bytes.hasRemaining()) {
                        out.write(bytes);
                    }
                    out.force(true);
                }
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                    d.force(true);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
