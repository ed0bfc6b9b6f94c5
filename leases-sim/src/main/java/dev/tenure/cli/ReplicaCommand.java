package dev.tenure.cli;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendUris;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.LeaderElection;
import dev.tenure.lease.LeaderListener;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.RevocationReason;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * One replica of {@code tenure demo --processes}, in its own JVM. Prints machine-readable lines:
 * {@code ELECTED <epoch> <nanoTime>} when elected and {@code HELD <epoch> <first> <last>} (the
 * first and last instants it saw itself leader, on the host's monotonic clock) every 50 ms.
 */
@Command(name = "replica", hidden = true, description = "One replica of 'tenure demo --processes'.")
final class ReplicaCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--name", required = true)
    String name;

    @Option(names = "--backend", required = true)
    String backendUri;

    @Option(names = "--ttl", required = true)
    Duration ttl;

    @Option(names = "--duration", required = true)
    Duration duration;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        AtomicRemoteBackend backend = BackendUris.openAtomic(backendUri);
        Map<Long, long[]> held = new TreeMap<>();
        try (LeaseManager manager = DemoCommand.manager(backend, name, ttl)) {
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
            long end = System.nanoTime() + duration.toNanos();
            long nextReport = 0;
            while (System.nanoTime() < end) {
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
