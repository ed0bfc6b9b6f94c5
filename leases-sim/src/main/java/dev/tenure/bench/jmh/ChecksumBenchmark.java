package dev.tenure.bench.jmh;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The checksum every object header, segment and local file carries (CRC32C), next to CRC32 as
 * the baseline: both are intrinsics, so a gap between them means the wrong one is in use.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// A fixed, pre-touched heap: while the default heap grew, first-touch page faults made a copy of
// 64 KiB take 250 to 350 us for the first iterations and 4 us after (measured 2026-11-29).
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class ChecksumBenchmark {

    @Param({"200", "65536"})
    public int size;

    private byte[] data;

    @Setup
    public void setUp() {
        data = new byte[size];
        ThreadLocalRandom.current().nextBytes(data);
    }

    @Benchmark
    public long crc32c() {
        CRC32C crc = new CRC32C();
        crc.update(data);
        return crc.getValue();
    }

    @Benchmark
    public long crc32Baseline() {
        CRC32 crc = new CRC32();
        crc.update(data);
        return crc.getValue();
    }
}
