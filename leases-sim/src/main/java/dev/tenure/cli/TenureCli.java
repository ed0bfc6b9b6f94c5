package dev.tenure.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tenure} command: one subcommand per job. */
@Command(name = "tenure", mixinStandardHelpOptions = true, versionProvider = TenureCli.Version.class,
        description = "Coordination on object storage: leases, leader election, fencing, ledgers.",
        subcommands = {DemoCommand.class, RaceCommand.class, VerifyCommand.class, SimulateCommand.class, BenchCommand.class,
            SnapshotCommand.class, ReplicaCommand.class, CommandLine.HelpCommand.class})
public final class TenureCli {

    private TenureCli() {
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status; for tests and embedding. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The configured command line: an error in a command prints one line and exits with 2. */
    static CommandLine commandLine() {
        return new CommandLine(new TenureCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("tenure: " + e.getMessage());
                    return 2;
                });
    }

    /** The version from the jar manifest, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = TenureCli.class.getPackage().getImplementationVersion();
            return new String[] {"tenure " + (v == null ? "dev" : v)};
        }
    }
}
