package dev.tenure.bench.jmh;

import dev.tenure.lease.protocol.LeaseRecord;
import dev.tenure.lease.protocol.LeaseRecordCodec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The lease record codec (JSON), encode and decode of a typical record. The codec is reached
 * through the protocol package the lease module exports to the simulator only; a benchmark, not API.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// A fixed, pre-touched heap: while the default heap grew, first-touch page faults made a copy of
// 64 KiB take 250 to 350 us for the first iterations and 4 us after (measured 2026-11-29).
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class LeaseRecordCodecBenchmark {

    private final LeaseRecord record = new LeaseRecord("orders-writer", "replica-1", 42, 1234, "5f3a9c2e7b1d4e60", 6000,
            1_780_000_000_000L, false);
    private final byte[] encoded = LeaseRecordCodec.encode(record);

    @Benchmark
    public byte[] encode() {
        return LeaseRecordCodec.encode(record);
    }

    /** The encoding before it was streamed (a tree written by the mapper): the baseline for {@link #encode}. */
    @Benchmark
    public byte[] encodeTreeBaseline() {
        return LeaseRecordCodec.encodeAsTree(record);
    }

    @Benchmark
    public Object decode() {
        return LeaseRecordCodec.decode("leases/orders-writer", encoded);
    }
}
