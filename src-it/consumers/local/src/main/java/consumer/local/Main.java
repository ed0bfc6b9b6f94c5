package consumer.local;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.backend.uri.BackendUris;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.LeaderElection;
import dev.tenure.lease.LeaderListener;
import dev.tenure.lease.LeaseManager;
import dev.tenure.lease.RevocationReason;
import dev.tenure.lease.testing.VirtualTime;
import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerEntry;
import dev.tenure.ledger.LedgerOptions;
import dev.tenure.ledger.LedgerWriter;
import dev.tenure.ledger.Position;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a user of the local and in-memory stores writes, using only Tenure's exported API: an
 * election in virtual time, a fenced ledger on a local directory, and the error for a store whose
 * optional dependency is missing. Prints one line per check; src-it runs it on the module path and
 * on the class path and reads the lines.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("module: " + (Main.class.getModule().isNamed() ? Main.class.getModule().getName() : "unnamed"));
        FencingToken token = elect();
        System.out.println("elected: epoch " + token.epoch());
        System.out.println("ledger: " + ledger(token));
        try {
            BackendUris.openAtomic("s3://bucket/prefix?region=us-east-1");
            System.out.println("s3: opened");
        } catch (BackendException e) {
            System.out.println("s3: " + e.kind() + ": " + e.getMessage());
        }
        System.out.println("protocol package reachable: " + reachable("dev.tenure.lease.protocol.LeaseMachine"));
        System.out.println("internal package reachable: " + reachable("dev.tenure.backend.internal.LocalFiles"));
    }

    /** Two managers contend on one in-memory store, in virtual time; returns the leader's token. */
    private static FencingToken elect() throws Exception {
        InMemoryBackend store = new InMemoryBackend();
        List<FencingToken> elected = new ArrayList<>();
        try (VirtualTime time = new VirtualTime();
                LeaseManager a = time.drive(LeaseManager.builder(store, "node-a")).build();
                LeaseManager b = time.drive(LeaseManager.builder(store, "node-b")).build()) {
            LeaderListener listener = new LeaderListener() {
                @Override
                public void onElected(FencingToken token) {
                    synchronized (elected) {
                        elected.add(token);
                    }
                }

                @Override
                public void onRevoked(RevocationReason reason) {
                }
            };
            try (LeaderElection ea = a.elect("writer", listener); LeaderElection eb = b.elect("writer", listener)) {
                time.advance(Duration.ofSeconds(30));
                if (ea.isLeader() == eb.isLeader()) {
                    throw new IllegalStateException("expected exactly one of the two elections to lead");
                }
                synchronized (elected) {
                    if (elected.size() != 1) {
                        throw new IllegalStateException("expected one leader, got " + elected);
                    }
                    return elected.get(0);
                }
            }
        }
    }

    /** Appends three entries under the token on a local directory and reads them back. */
    private static String ledger(FencingToken token) throws Exception {
        Path dir = Files.createTempDirectory("tenure-consumer-");
        AtomicRemoteBackend backend = BackendUris.openAtomic(dir.toUri().toString());
        Ledger ledger = Ledger.open(backend, "events", LedgerOptions.defaults());
        try (LedgerWriter writer = ledger.writer(token, "node-a")) {
            for (String s : new String[] {"one", "two", "three"}) {
                writer.append(s.getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
            }
        }
        StringBuilder read = new StringBuilder();
        Iterator<LedgerEntry> it = ledger.read(Position.START);
        while (it.hasNext()) {
            read.append(read.length() == 0 ? "" : ",").append(new String(it.next().data(), StandardCharsets.UTF_8));
        }
        return read.toString();
    }

    /** Whether a public method of {@code className} can be called from here. */
    private static String reachable(String className) {
        try {
            Class<?> type = Class.forName(className);
            return Main.class.getModule().canRead(type.getModule())
                    && type.getModule().isExported(type.getPackageName(), Main.class.getModule()) ? "yes" : "no";
        } catch (ClassNotFoundException e) {
            return "absent";
        }
    }
}
