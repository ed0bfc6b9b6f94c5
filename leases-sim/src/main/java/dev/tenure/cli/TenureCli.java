package dev.tenure.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;

/** The {@code tenure} command: one subcommand per job. */
@Command(name = "tenure", mixinStandardHelpOptions = true, versionProvider = TenureCli.Version.class,
        description = "Coordination on object storage: leases, leader election, fencing, ledgers.",
        subcommands = {DemoCommand.class, RaceCommand.class, VerifyCommand.class, SimulateCommand.class, SimulateDriverCommand.class, BenchCommand.class,
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
        return commandLine(CommandLine.defaultFactory());
    }

    /** As {@link #commandLine()}, with the commands made by {@code factory} (tests inject what a command cannot see). */
    static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine cli = new CommandLine(new TenureCli(), factory);
        // Every command's --version prints the one version, not picocli's empty default.
        for (CommandLine c : allOf(cli)) {
            c.getCommandSpec().versionProvider(new Version());
        }
        return cli
                .setCaseInsensitiveEnumValuesAllowed(true)
                // After the subcommands are added, so every Duration option of every command reads durations one way.
                .registerConverter(Duration.class, new DurationConverter())
                .setExecutionStrategy(TenureCli::checkedThenRun)
                .setParameterExceptionHandler(TenureCli::usageError)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("tenure: " + Redaction.userInfo(e.getMessage()));
                    return 2;
                });
    }

    private static java.util.List<CommandLine> allOf(CommandLine cli) {
        java.util.List<CommandLine> all = new java.util.ArrayList<>(java.util.List.of(cli));
        cli.getSubcommands().values().forEach(sub -> all.addAll(allOf(sub)));
        return all;
    }

    /** As picocli's own handler (the message, then suggestions or the usage), with any URI in the message redacted. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        java.io.PrintWriter err = cmd.getErr();
        err.println(Redaction.redact(e.getMessage()));
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            cmd.usage(err, cmd.getColorScheme());
        }
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** Every option of the command chain is checked against its range before anything runs. */
    private static int checkedThenRun(ParseResult parsed) {
        if (CommandLine.printHelpIfRequested(parsed)) {
            return 0;
        }
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.commandSpec().userObject() instanceof Bounds.Checked checked) {
                checked.checkBounds();
            }
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /** The version the build wrote into {@code version.properties} (Maven resource filtering), so it is right from classes and jar alike. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tenure " + version()};
        }

        static String version() {
            Properties p = new Properties();
            try (InputStream in = TenureCli.class.getResourceAsStream("version.properties")) {
                if (in == null) {
                    throw new IllegalStateException("version.properties is missing from the build of the tenure command line");
                }
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String v = p.getProperty("version", "");
            if (v.isBlank() || v.contains("${")) {
                throw new IllegalStateException("version.properties was not filtered by the build: '" + v + "'");
            }
            return v;
        }
    }
}
