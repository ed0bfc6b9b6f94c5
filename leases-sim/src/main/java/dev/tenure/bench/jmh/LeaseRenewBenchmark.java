package dev.tenure.bench.jmh;

import dev.tenure.backend.ObjectVersion;
import dev.tenure.lease.LeaseClock;
import dev.tenure.lease.LeaseConfig;
import dev.tenure.lease.protocol.LeaseMachine;
import dev.tenure.retry.RetryPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
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

/**
 * The protocol's CPU for one renewal, without I/O or threads: the renew timer fires, the machine
 * builds and encodes the record, the write is sent and answered, the next timers are set. Time is
 * virtual (one renew interval per renewal), so only the machine and the record codec are measured.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// A fixed, pre-touched heap: while the default heap grew, first-touch page faults made a copy of
// 64 KiB take 250 to 350 us for the first iterations and 4 us after (measured 2026-11-29).
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class LeaseRenewBenchmark {

    private static final long SECOND = 1_000_000_000L;

    private LeaseMachine machine;
    private long now;
    private long renewToken;
    private long generation;

    @Setup
    public void setUp() {
        LeaseClock clock = new LeaseClock() {
            @Override
            public long nanoTime() {
                return now;
            }

            @Override
            public long wallMillis() {
                return now / 1_000_000;
            }
        };
        LeaseConfig config = new LeaseConfig("leases/", "bench", Duration.ofSeconds(6), Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(2), RetryPolicy.none(), clock);
        machine = new LeaseMachine(config, "bench", new SplittableRandom(1));
        now = SECOND;
        List<LeaseMachine.Command> out = machine.acquire(now, LeaseMachine.Mode.ONCE, 0);
        LeaseMachine.Read read = only(out, LeaseMachine.Read.class);
        machine.onSent(read.requestId(), now);
        out = machine.onRead(read.requestId(), now, Optional.empty(), null);
        answerWrite(out);
    }

    /** One renewal: timer, write sent, write answered. */
    @Benchmark
    public long renew() {
        now += SECOND;
        answerWrite(machine.onTimer(LeaseMachine.Timer.RENEW, renewToken, now));
        return renewToken;
    }

    private void answerWrite(List<LeaseMachine.Command> out) {
        LeaseMachine.Write write = only(out, LeaseMachine.Write.class);
        machine.onSent(write.requestId(), now);
        List<LeaseMachine.Command> after = machine.onWrite(write.requestId(), now, ObjectVersion.of(Long.toString(++generation)), null);
        renewToken = after.stream().filter(c -> c instanceof LeaseMachine.SetTimer t && t.timer() == LeaseMachine.Timer.RENEW)
                .map(c -> ((LeaseMachine.SetTimer) c).token()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no renew timer after a write: " + after));
    }

    private static <T extends LeaseMachine.Command> T only(List<LeaseMachine.Command> commands, Class<T> type) {
        return commands.stream().filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new IllegalStateException("expected a " + type.getSimpleName() + " in " + commands));
    }
}
