package dev.tenure.cli;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.uri.BackendUris;
import dev.tenure.backend.RemoteBackend;
import dev.tenure.lease.Lease;
import dev.tenure.lease.LeaseManager;
import dev.tenure.snapshot.LocalFilePolicy;
import dev.tenure.snapshot.SnapshotInfo;
import dev.tenure.snapshot.SnapshotOptions;
import dev.tenure.snapshot.SnapshotReader;
import dev.tenure.snapshot.SnapshotStore;
import dev.tenure.snapshot.SnapshotWriter;
import dev.tenure.snapshot.UnconditionalSnapshotStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Snapshot transport from the command line: upload a database file, download it, or show what is stored. */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
        description = {"Snapshot transport on any backend: push a file, pull it into a local cache, or show the latest.",
            "BACKEND is file:///dir, mem:, s3://bucket/prefix?..., http(s)://host/path/?..., libsql://host?... or d1://account/database."},
        subcommands = {SnapshotCommand.Push.class, SnapshotCommand.Pull.class, SnapshotCommand.Info.class})
final class SnapshotCommand {

    /** Uploads a file as the next generation of a snapshot. */
    @Command(name = "push", mixinStandardHelpOptions = true,
            description = {"Uploads FILE, exactly as it is, as the next generation of snapshot NAME; FILE must exist.",
                "With --lease (atomic backends only) the upload is fenced: the lease is taken first and its epoch claims the"
                    + " snapshot, so an older writer can no longer overwrite it. Without --lease the last write wins."})
    static final class Push implements Callable<Integer>, Bounds.Checked {
        @Spec
        CommandSpec spec;

        @Mixin
        Target target;

        @Parameters(index = "2", paramLabel = "FILE")
        Path file;

        @Option(names = "--lease", paramLabel = "LEASE", description = "Take this lease first and fence the upload with its token.")
        String lease;

        @Option(names = "--holder", defaultValue = "tenure-cli", description = "Writer and lease holder id. Default: ${DEFAULT-VALUE}.")
        String holder;

        @Option(names = "--wait", defaultValue = "30s", description = "How long to wait for the lease (1s to 1d; 500ms, 2s, 1m"
                + " or ISO-8601 PT30S). Default: ${DEFAULT-VALUE}.")
        Duration wait;

        @Override
        public void checkBounds() {
            // Taking a lease is a request or two: a shorter wait gives up before the first answer (0s never acquired).
            Bounds.check(spec, "--wait", wait, Duration.ofSeconds(1), Duration.ofDays(1), "taking the lease is a request or two");
        }

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            // push uploads the file it is given: never one made from the store, never the store's over it.
            if (!Files.isRegularFile(file)) {
                throw new ParameterException(spec.commandLine(), "FILE " + file + (Files.exists(file) ? " is not a regular file"
                        : " does not exist") + ": push uploads the file it is given");
            }
            try (RemoteBackend backend = BackendUris.open(target.backendUri)) {
                if (lease == null) {
                    try (SnapshotWriter writer = UnconditionalSnapshotStore.open(backend, target.name, SnapshotOptions.defaults())
                            .unfencedWriter(holder, file, LocalFilePolicy.UPLOAD_LOCAL_FILE)) {
                        print(out, "pushed (unfenced: the last write wins)", writer.flush());
                    }
                    return 0;
                }
                if (!(backend instanceof AtomicRemoteBackend atomic)) {
                    throw new ParameterException(spec.commandLine(), backend.name() + " is snapshot transport only: it cannot"
                            + " hold a lease, so --lease cannot fence an upload there");
                }
                try (LeaseManager leases = LeaseManager.builder(atomic, holder).build();
                        Lease held = leases.acquire(lease, wait);
                        SnapshotWriter writer = SnapshotStore.open(atomic, target.name, SnapshotOptions.defaults())
                                .writer(held.fencingToken(), holder, file, LocalFilePolicy.UPLOAD_LOCAL_FILE)) {
                    print(out, "pushed under lease " + held.fencingToken(), writer.flush());
                }
                return 0;
            }
        }
    }

    /** Downloads the latest generation into a local file, unless the file already holds it. */
    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Downloads the latest generation of snapshot NAME into FILE, unless FILE already holds it.")
    static final class Pull implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Target target;

        @Parameters(index = "2", paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (RemoteBackend backend = BackendUris.open(target.backendUri)) {
                SnapshotReader reader = either(backend, target.name, s -> s.reader(file), s -> s.reader(file));
                return report(out, target.name, "pulled into " + file, reader.current());
            }
        }
    }

    /** Shows the latest generation without downloading it. */
    @Command(name = "info", mixinStandardHelpOptions = true, description = "Shows the latest generation of snapshot NAME.")
    static final class Info implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Target target;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (RemoteBackend backend = BackendUris.open(target.backendUri)) {
                return report(out, target.name, "latest", either(backend, target.name, SnapshotStore::latest, UnconditionalSnapshotStore::latest));
            }
        }
    }

    /** The two positional parameters every snapshot command starts with. */
    static final class Target {
        @Parameters(index = "0", paramLabel = "BACKEND", completionCandidates = BackendOption.AllForms.class,
                description = "The backend URI: ${COMPLETION-CANDIDATES}.")
        String backendUri;

        @Parameters(index = "1", paramLabel = "NAME", description = "The snapshot's name.")
        String name;
    }

    /** The fenced store on an atomic backend, the unconditional one on any other. */
    private static <T> T either(RemoteBackend backend, String name, Function<SnapshotStore, T> fenced,
            Function<UnconditionalSnapshotStore, T> plain) {
        return backend instanceof AtomicRemoteBackend atomic
                ? fenced.apply(SnapshotStore.open(atomic, name, SnapshotOptions.defaults()))
                : plain.apply(UnconditionalSnapshotStore.open(backend, name, SnapshotOptions.defaults()));
    }

    private static int report(PrintWriter out, String name, String what, Optional<SnapshotInfo> info) {
        if (info.isEmpty()) {
            out.printf("snapshot %s: nothing stored yet%n", name);
            return 1;
        }
        print(out, what, info.get());
        return 0;
    }

    private static void print(PrintWriter out, String what, SnapshotInfo info) {
        out.printf("snapshot %s %s: generation %d, epoch %d, %d bytes, sha256 %s%n", info.name(), what, info.generation(),
                info.epoch(), info.size(), info.sha256());
    }
}
