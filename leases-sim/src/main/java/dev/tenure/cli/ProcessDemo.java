package dev.tenure.cli;

import dev.tenure.backend.uri.BackendUris;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code tenure demo --processes}: each replica is its own JVM ({@code tenure replica}); halfway
 * through the leader's process is killed with SIGKILL. The replicas report, on the host's shared
 * monotonic clock, the instants they saw themselves leader; no two epochs' instants may interleave.
 */
final class ProcessDemo {

    private final PrintWriter out;
    private final int replicas;
    private final Duration duration;
    private final Duration ttl;
    private final String backendUri;
    private final long start = System.nanoTime();
    /** epoch -> {first, last} instant some replica saw itself leader. */
    private final Map<Long, long[]> held = new TreeMap<>();
    private final Map<Long, String> holders = new TreeMap<>();
    private volatile long killedAt;
    private volatile String killedName;
    private int ready;
    /** How long the replicas may take to start before the run begins anyway. */
    private static final Duration STARTUP_CAP = Duration.ofSeconds(60);

    ProcessDemo(PrintWriter out, int replicas, Duration duration, Duration ttl, String backendUri) {
        this.out = out;
        this.replicas = replicas;
        this.duration = duration;
        this.ttl = ttl;
        this.backendUri = backendUri;
    }

    int run() throws IOException, InterruptedException {
        out.printf("tenure demo: %d replica processes elect a leader for '%s' on %s (ttl %d ms)%n", replicas, DemoCommand.LEASE,
                BackendUris.redact(backendUri), ttl.toMillis());
        out.flush();
        List<Process> children = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (int i = 1; i <= replicas; i++) {
            String name = "replica-" + i;
            // --duration is only a cap: the demo stops each replica with STOP once the run, counted from
            // when every replica is ready, is over.
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), TenureCli.class.getName(), "replica",
                    "--name", name, "--backend", backendUri, "--ttl", ttl.toString(), "--duration",
                    duration.plus(STARTUP_CAP).plus(duration).toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            children.add(p);
            names.add(name);
            Thread reader = new Thread(() -> read(name, p), "demo-reader-" + name);
            reader.setDaemon(true);
            reader.start();
            readers.add(reader);
        }
        // The run starts when every replica's election has started: JVM start-up on a small, busy
        // machine takes seconds, and is no part of what the demo shows.
        long readyBy = System.nanoTime() + STARTUP_CAP.toNanos();
        while (readyCount() < replicas && System.nanoTime() < readyBy) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        long runStart = System.nanoTime();
        synchronized (this) {
            out.printf("%s  %d of %d replicas ready (JVM start-up); the run starts now%n", clock(), readyCount(), replicas);
            out.flush();
        }
        // Kill halfway, or once a leader has held for a TTL if the first election was slow.
        long killAt = runStart + duration.toNanos() / 2;
        long giveUp = runStart + duration.toNanos() - ttl.toNanos() * 3;
        while (System.nanoTime() < killAt || (currentLeader() == null && System.nanoTime() < giveUp)) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        String leader = currentLeader();
        if (leader != null) {
            int index = names.indexOf(leader);
            synchronized (this) {
                killedAt = System.nanoTime();
                killedName = leader;
                out.printf("%s  %-10s KILLED with SIGKILL while leader (no release: the others must wait out its TTL)%n", clock(), leader);
                out.flush();
            }
            children.get(index).destroyForcibly();
        }
        while (System.nanoTime() < runStart + duration.toNanos()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        for (Process p : children) {
            try {
                p.getOutputStream().write("STOP\n".getBytes(StandardCharsets.UTF_8));
                p.getOutputStream().close();
            } catch (IOException killed) {
                // The killed leader reads nothing any more.
            }
        }
        for (Process p : children) {
            if (!p.waitFor(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        for (Thread r : readers) {
            r.join(TimeUnit.SECONDS.toMillis(10));
        }
        List<String> problems = new ArrayList<>();
        long[] previous = null;
        long previousEpoch = 0;
        synchronized (this) {
            for (Map.Entry<Long, long[]> e : held.entrySet()) {
                if (previous != null && previous[1] >= e.getValue()[0]) {
                    problems.add("epoch " + previousEpoch + " was still held when epoch " + e.getKey() + " began");
                }
                previous = e.getValue();
                previousEpoch = e.getKey();
            }
            if (leader == null) {
                problems.add("no leader in the first half of the run");
            }
            out.printf("%d epochs held across %d processes; %s%n", held.size(), replicas, problems.isEmpty()
                    ? "epochs only rose and leadership never overlapped" : "PROBLEMS: " + problems);
            out.flush();
        }
        return problems.isEmpty() ? 0 : 1;
    }

    private void read(String name, Process p) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(" ");
                synchronized (this) {
                    if (f[0].equals("READY")) {
                        ready++;
                    } else if (f[0].equals("ELECTED")) {
                        long epoch = Long.parseLong(f[1]);
                        holders.put(epoch, name);
                        String failover = killedAt > 0 && !name.equals(killedName)
                                ? String.format(" (failover %.2f s after the kill)", (Long.parseLong(f[2]) - killedAt) / 1e9) : "";
                        out.printf("%s  %-10s elected, epoch %d%s%n", clock(), name, epoch, failover);
                        out.flush();
                    } else if (f[0].equals("HELD")) {
                        held.put(Long.parseLong(f[1]), new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])});
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // A killed replica's stream ends abruptly; what it reported before stays.
        }
    }

    private synchronized int readyCount() {
        return ready;
    }

    private synchronized String currentLeader() {
        if (holders.isEmpty()) {
            return null;
        }
        return holders.get(((TreeMap<Long, String>) holders).lastKey());
    }

    private String clock() {
        return String.format("t=%6.2fs", (System.nanoTime() - start) / 1e9);
    }
}
