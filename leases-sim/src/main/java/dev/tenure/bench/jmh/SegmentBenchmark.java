package dev.tenure.bench.jmh;

import dev.tenure.ledger.protocol.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * Ledger segment encode and decode (with its CRC32C) for a batch of 64-byte entries, next to a
 * plain copy of the same bytes as the baseline. {@link Segment} is reached through
 * the protocol package the lease module exports to the simulator only; it is a benchmark, not API.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// A fixed, pre-touched heap: while the default heap grew, first-touch page faults made a copy of
// 64 KiB take 250 to 350 us for the first iterations and 4 us after (measured 2026-11-29).
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class SegmentBenchmark {

    @Param({"100", "1000"})
    public int entries;

    private Segment segment;
    private byte[] encoded;

    @Setup
    public void setUp() {
        List<byte[]> batch = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            batch.add(new byte[64]);
        }
        segment = new Segment(7, 3, "writer-1", "batch-0001", false, batch);
        encoded = segment.encode();
    }

    @Benchmark
    public byte[] encode() {
        return segment.encode();
    }

    @Benchmark
    public Segment decode() {
        return Segment.decode("ledger/x/segments/7", encoded);
    }

    /** The floor for both: copying the encoded bytes once. */
    @Benchmark
    public byte[] copyBaseline() {
        return encoded.clone();
    }
}
