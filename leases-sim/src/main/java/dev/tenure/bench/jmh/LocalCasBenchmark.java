package dev.tenure.bench.jmh;

import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.local.LocalBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One compare-and-swap on one key, one thread: {@link LocalBackend} (read, then a conditional put)
 * next to the hand-written loop it is measured against, which does the same file-system work
 * without Tenure: read the file, write a temporary file, fsync it, rename it over the key's file,
 * fsync the directory. The raw loop takes no lock, keeps no header and checks no checksum, so the
 * ratio is what Tenure's guarantees and bookkeeping cost on top of the I/O.
 *
 * <p>{@code -p dir=/dev/shm} measures on tmpfs (CPU-bound); a directory on disk measures fsync.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
// A fixed, pre-touched heap: while the default heap grew, first-touch page faults made a copy of
// 64 KiB take 250 to 350 us for the first iterations and 4 us after (measured 2026-11-29).
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class LocalCasBenchmark {

    private static final String KEY = "bench/cas";

    /** The directory the stores are made in; empty for the system's temporary directory. */
    @Param({""})
    public String dir;

    private Path base;
    private LocalBackend backend;
    private Path rawDir;
    private Path rawTmp;
    private Path rawFile;
    private final byte[] payload = new byte[200];
    private long counter;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path parent = dir.isEmpty() ? Path.of(System.getProperty("java.io.tmpdir")) : Path.of(dir);
        base = Files.createTempDirectory(parent, "tenure-jmh-cas");
        backend = LocalBackend.create(base.resolve("tenure"));
        backend.put(KEY, payload, ConditionalPut.ifAbsent());
        rawDir = Files.createDirectories(base.resolve("raw").resolve("bench"));
        rawTmp = Files.createDirectories(base.resolve("raw").resolve("tmp"));
        rawFile = rawDir.resolve("cas");
        Files.write(rawFile, payload);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try (Stream<Path> all = Files.walk(base)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Tenure: read the current version, then put conditionally on it. */
    @Benchmark
    public ObjectVersion tenureCas() {
        Versioned<byte[]> current = backend.read(KEY).orElseThrow();
        return backend.put(KEY, payload, ConditionalPut.ifVersion(current.version()));
    }

    /** The baseline: the same reads, writes, fsyncs and rename, by hand. */
    @Benchmark
    public int rawCas() throws IOException {
        byte[] current = Files.readAllBytes(rawFile);
        Path tmp = rawTmp.resolve(Long.toHexString(++counter) + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.wrap(payload);
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(true);
        }
        Files.move(tmp, rawFile, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel d = FileChannel.open(rawDir, StandardOpenOption.READ)) {
            d.force(true);
        }
        return current.length;
    }
}
