package dev.tenure.cli;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.uri.BackendUris;
import dev.tenure.backend.uri.Scheme;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.LeaderElection;
import dev.tenure.lease.LeaderListener;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.LeaseScheduler;
import dev.tenure.lease.RevocationReason;
import dev.tenure.retry.RetryPolicy;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A real leader election: replicas (threads, each with its own lease manager and backend client)
 * elect a leader; halfway through, the leader is killed without releasing; the others take over
 * after its TTL. Prints each change of leader with its epoch and the failover time, then checks
 * that epochs only rose and that no two replicas were ever leader at once.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Leader election among replicas; kills the leader halfway and shows the failover.",
                "Without --backend, the replicas share a fresh temporary directory."})
final class DemoCommand implements Callable<Integer>, Bounds.Checked {

    static final String LEASE = "demo-leader";
    /** The TTL range: under 100 ms a renewal (every ttl/4) is shorter than a JVM's pauses; over 5 min nobody watches the failover. */
    static final Duration MIN_TTL = Duration.ofMillis(100);
    static final Duration MAX_TTL = Duration.ofMinutes(5);
    static final Duration MAX_DURATION = Duration.ofHours(1);
    /** The first election on a cold JVM takes most of a second: a shorter run has no leader to kill. */
    static final Duration MIN_DURATION = Duration.ofSeconds(2);

    @Spec
    CommandSpec spec;

    @Option(names = "--replicas", defaultValue = "5", description = "Replicas, from 2 to a limit set by this machine's"
            + " processors (16 each as threads, 4 each with --processes). Default: ${DEFAULT-VALUE}.")
    int replicas;

    @Option(names = "--duration", defaultValue = "8s", description = "How long to run (4 TTLs and at least 2s, to 1h; 500ms, 2s, 1m, 1h or ISO-8601"
            + " PT8S). Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--ttl", defaultValue = "1s", description = "Lease TTL (100ms to 5m). Default: ${DEFAULT-VALUE}.")
    Duration ttl;

    @Option(names = "--processes", description = "Run each replica as a separate JVM process, and kill the leader with SIGKILL.")
    boolean processes;

    @Mixin
    BackendOption backend;

    private final long start = System.nanoTime();
    private final List<String> problems = new ArrayList<>();

    /** A replica owns the threads its manager runs on, so it can be killed the way a process dies. */
    private record Replica(String name, LeaseManager manager, LeaderElection election, LeaseScheduler scheduler,
            ExecutorService threads) {
    }

    @Override
    public void checkBounds() {
        int processors = Runtime.getRuntime().availableProcessors();
        int limit = maxReplicas(processes, processors);
        Bounds.check(spec, "--replicas", replicas, 2, limit, processes
                ? "this machine has " + processors + " processor(s); each replica is a JVM of up to 128 MB that takes a"
                        + " processor-second or more to start, so the demo allows 4 per processor"
                : "this machine has " + processors + " processor(s); each replica runs its own scheduler, I/O and callback"
                        + " threads and renews every ttl/4, so the demo allows 16 per processor; at least 2 for an election to"
                        + " mean anything");
        Bounds.check(spec, "--ttl", ttl, MIN_TTL, MAX_TTL);
        // The leader is killed halfway; the failover takes about a TTL and must be seen before the end.
        Duration shortest = ttl.multipliedBy(4).compareTo(MIN_DURATION) > 0 ? ttl.multipliedBy(4) : MIN_DURATION;
        Bounds.check(spec, "--duration", duration, shortest, MAX_DURATION, "at least 4 TTLs and 2s: the leader is killed"
                + " halfway and the failover takes about a TTL");
        if (processes && backend.uri != null && Scheme.of(backend.uri).filter(s -> s == Scheme.MEM).isPresent()) {
            throw new ParameterException(spec.commandLine(), "--processes cannot use --backend mem: each replica process"
                    + " would have its own memory, so they would never contend; use a file: directory or a shared store");
        }
    }

    /** The most replicas the demo runs on a machine with {@code processors} processors. */
    static int maxReplicas(boolean processes, int processors) {
        return processes ? Math.max(4, 4 * processors) : Math.max(16, 16 * processors);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path tempRoot = backend.uri == null ? Files.createTempDirectory("tenure-demo-") : null;
        String uri = backend.uriOr(() -> tempRoot.toUri().toString());
        AtomicRemoteBackend shared = BackendUris.openAtomic(uri);
        if (processes) {
            // Opened here only to check the URI: a replica process's errors go nowhere a user would see them.
            shared.close();
            return new ProcessDemo(out, replicas, duration, ttl, uri).run();
        }
        Duration renew = ttl.dividedBy(4);
        out.printf("tenure demo: %d replicas elect a leader for '%s' on %s (ttl %d ms, renew every %d ms)%n", replicas, LEASE,
                shared.name(), ttl.toMillis(), renew.toMillis());
        out.flush();
        List<Replica> all = new ArrayList<>();
        long[] lastEpoch = {0};
        long[] killedAt = {0};
        for (int i = 1; i <= replicas; i++) {
            String name = "replica-" + i;
            AtomicRemoteBackend client = shared instanceof LocalBackend local ? LocalBackend.open(local.root()) : shared;
            LeaseScheduler scheduler = LeaseScheduler.singleThread("demo-" + name);
            ExecutorService threads = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "demo-" + name + "-io");
                t.setDaemon(true);
                return t;
            });
            LeaseManager manager = builder(client, name, ttl)
                    .scheduler(scheduler).ioExecutor(threads).callbackExecutor(Executors.newSingleThreadExecutor(r -> {
                        Thread t = new Thread(r, "demo-" + name + "-callbacks");
                        t.setDaemon(true);
                        return t;
                    })).build();
            LeaderElection election = manager.elect(LEASE, new LeaderListener() {
                @Override
                public void onElected(FencingToken token) {
                    synchronized (DemoCommand.this) {
                        String failover = killedAt[0] > 0 ? String.format(" (failover %.2f s after the kill)",
                                (System.nanoTime() - killedAt[0]) / 1e9) : "";
                        out.printf("%s  %-10s elected, epoch %d%s%n", clock(), name, token.epoch(), failover);
                        out.flush();
                        if (token.epoch() <= lastEpoch[0]) {
                            problems.add("epoch " + token.epoch() + " after epoch " + lastEpoch[0]);
                        }
                        lastEpoch[0] = token.epoch();
                        killedAt[0] = 0;
                    }
                }

                @Override
                public void onRevoked(RevocationReason reason) {
                    synchronized (DemoCommand.this) {
                        out.printf("%s  %-10s lost leadership: %s%n", clock(), name, reason);
                        out.flush();
                    }
                }
            });
            all.add(new Replica(name, manager, election, scheduler, threads));
        }
        // Counted from when every replica contends: starting them (a cold JVM's first requests) is no part of the run.
        long runStart = System.nanoTime();
        long end = runStart + duration.toNanos();
        long killAt = runStart + duration.toNanos() / 2;
        boolean killed = false;
        int maxLeaders = 0;
        long samples = 0;
        while (System.nanoTime() < end) {
            int leaders = 0;
            for (Replica r : all) {
                if (r.election().isLeader()) {
                    leaders++;
                }
            }
            maxLeaders = Math.max(maxLeaders, leaders);
            samples++;
            if (!killed && System.nanoTime() >= killAt) {
                for (Replica r : all) {
                    if (r.election().isLeader()) {
                        synchronized (this) {
                            out.printf("%s  %-10s KILLED while leader (no release: the others must wait out its TTL)%n", clock(), r.name());
                            out.flush();
                            killedAt[0] = System.nanoTime();
                        }
                        kill(r);
                        killed = true;
                        break;
                    }
                }
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
        for (Replica r : all) {
            if (!r.threads().isShutdown()) {
                r.election().close();
                r.manager().close();
                kill(r);
            }
        }
        if (maxLeaders > 1) {
            problems.add(maxLeaders + " replicas were leader at the same instant");
        }
        if (!killed) {
            problems.add("no leader was elected in the first half of the run");
        }
        synchronized (this) {
            out.printf("%d samples of every replica's isLeader(): at most %d leader at once; %s%n", samples, maxLeaders,
                    problems.isEmpty() ? "epochs only rose and leadership never overlapped" : "PROBLEMS: " + problems);
            if (tempRoot != null) {
                out.printf("the lease record is in %s%n", tempRoot);
            }
        }
        return problems.isEmpty() ? 0 : 1;
    }

    /** The lease timing every replica uses, derived from the TTL. */
    static LeaseManager manager(AtomicRemoteBackend backend, String name, Duration ttl) {
        return builder(backend, name, ttl).build();
    }

    private static LeaseManager.Builder builder(AtomicRemoteBackend backend, String name, Duration ttl) {
        return LeaseManager.builder(backend, name)
                .ttl(ttl).renewInterval(ttl.dividedBy(4)).safetyMargin(ttl.dividedBy(5)).skewMargin(ttl.dividedBy(10))
                .requestTimeout(ttl.dividedBy(4)).retryPolicy(RetryPolicy.local());
    }

    /** A crash: the replica's threads stop and nothing is released. */
    private static void kill(Replica r) {
        r.scheduler().close();
        r.threads().shutdownNow();
    }

    private String clock() {
        return String.format("t=%6.2fs", (System.nanoTime() - start) / 1e9);
    }
}
