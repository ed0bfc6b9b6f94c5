package dev.tenure.bench.jmh;

import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** One compare-and-swap (read, then a conditional put) on one key of the in-memory store, one thread. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// A fixed, pre-touched heap: while the default heap grew, first-touch page faults made a copy of
// 64 KiB take 250 to 350 us for the first iterations and 4 us after (measured 2026-11-29).
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class InMemoryCasBenchmark {

    private static final String KEY = "bench/cas";
    private final byte[] payload = new byte[200];
    private InMemoryBackend backend;

    @Setup
    public void setUp() {
        backend = new InMemoryBackend();
        backend.put(KEY, payload, ConditionalPut.ifAbsent());
    }

    @Benchmark
    public ObjectVersion cas() {
        Versioned<byte[]> current = backend.read(KEY).orElseThrow();
        return backend.put(KEY, payload, ConditionalPut.ifVersion(current.version()));
    }
}
