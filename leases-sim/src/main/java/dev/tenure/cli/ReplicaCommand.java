package dev.tenure.cli;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.LeaderElection;
import dev.tenure.lease.LeaderListener;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.RevocationReason;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * One replica of {@code tenure demo --processes}, in its own JVM. Prints machine-readable lines:
 * {@code ELECTED <epoch> <nanoTime>} when elected and {@code HELD <epoch> <first> <last>} (the
 * first and last instants it saw itself leader, on the host's monotonic clock) every 50 ms, after
 * {@code READY <nanoTime>} once its election has started. Runs until STOP on standard input.
 */
@Command(name = "replica", hidden = true, description = "One replica of 'tenure demo --processes'.")
final class ReplicaCommand implements Callable<Integer>, Bounds.Checked {

    @Spec
    CommandSpec spec;

    @Option(names = "--name", required = true)
    String name;

    @Mixin
    BackendOption backend;

    @Option(names = "--ttl", required = true)
    Duration ttl;

    @Option(names = "--duration", required = true)
    Duration duration;

    @Override
    public void checkBounds() {
        Bounds.check(spec, "--ttl", ttl, DemoCommand.MIN_TTL, DemoCommand.MAX_TTL);
        // The demo passes its own duration, twice over plus start-up time, as this cap.
        Bounds.check(spec, "--duration", duration, Duration.ofSeconds(1), DemoCommand.MAX_DURATION.multipliedBy(3));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        AtomicRemoteBackend store = backend.openAtomic(() -> null);
        Map<Long, long[]> held = new TreeMap<>();
        // The demo ends each replica with STOP on its standard input (or by closing it); --duration is only a cap.
        AtomicBoolean stop = new AtomicBoolean();
        Thread stdin = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null && !line.equals("STOP")) {
                    // Only STOP means anything.
                }
            } catch (IOException e) {
                // Standard input gone: the demo is gone too.
            }
            stop.set(true);
        }, "replica-stdin");
        stdin.setDaemon(true);
        stdin.start();
        // Warm what the first requests need (the backend's read path), so that a cold JVM does not
        // spend the first request's timeout loading classes. The manager warms JSON itself.
        store.read(LeaseManager.class.getSimpleName() + "-warm-up");
        try (LeaseManager manager = DemoCommand.manager(store, name, ttl)) {
            LeaderElection election = manager.elect(DemoCommand.LEASE, new LeaderListener() {
                @Override
                public void onElected(FencingToken token) {
                    synchronized (out) {
                        out.printf("ELECTED %d %d%n", token.epoch(), System.nanoTime());
                        out.flush();
                    }
                }

                @Override
                public void onRevoked(RevocationReason reason) {
                    synchronized (out) {
                        out.printf("REVOKED %s %d%n", reason, System.nanoTime());
                        out.flush();
                    }
                }
            });
            synchronized (out) {
                out.printf("READY %d%n", System.nanoTime());
                out.flush();
            }
            long end = System.nanoTime() + duration.toNanos();
            long nextReport = 0;
            while (System.nanoTime() < end && !stop.get()) {
                long now = System.nanoTime();
                var token = election.token();
                if (token.isPresent() && election.isLeader()) {
                    long[] span = held.computeIfAbsent(token.get().epoch(), e -> new long[] {now, now});
                    span[1] = now;
                }
                if (now >= nextReport) {
                    synchronized (out) {
                        held.forEach((epoch, span) -> out.printf("HELD %d %d %d%n", epoch, span[0], span[1]));
                        out.flush();
                    }
                    nextReport = now + TimeUnit.MILLISECONDS.toNanos(50);
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            }
            election.close();
        }
        return 0;
    }

}
