package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input as a new user types it: every case exits 2 before anything runs, with a message that
 * names what was wrong (the option and its allowed range), and never a secret from the input.
 */
class BadInputTest {

    private static final String SECRET = "hunter2";

    static Stream<Arguments> cases() {
        int processors = Runtime.getRuntime().availableProcessors();
        String replicaLimit = String.format("%,d", DemoCommand.maxReplicas(false, processors));
        return Stream.of(
                // Credentials in a URI: refused, never echoed.
                bad("verify ftp://user:" + SECRET + "@host/x", "unsupported backend URI"),
                bad("verify file://user:" + SECRET + "@host/dir", "credentials in the URI"),
                bad("verify file://user:" + SECRET + "@localhost/tmp/x", "credentials in the URI"),
                bad("verify mem://user:" + SECRET + "@x", "credentials in the URI"),
                bad("verify s3://AKIA:se/" + SECRET + "@bucket/p", "credentials in the URI"),
                bad("verify http://user:" + SECRET + "@127.0.0.1:9/x/", "credentials"),
                bad("race --backend file://u:" + SECRET + "@localhost/tmp/x", "credentials in the URI"),
                bad("demo --backend az://u:" + SECRET + "@acct/c/p", "credentials in the URI"),
                bad("snapshot info libsql://u:" + SECRET + "@host name", "credentials in the URI"),
                bad("race ftp://u:" + SECRET + "@host/x", "Unmatched argument"),
                bad("simulate --seeds ftp://u:" + SECRET + "@host/x?token=" + SECRET, "--seeds"),
                // simulate
                bad("simulate --seeds 0", "'--seeds': 0 is out of range; allowed: 1 to 100,000,000"),
                bad("simulate --seeds -5", "'--seeds': -5 is out of range; allowed: 1 to"),
                bad("simulate --threads 0", "'--threads': 0 is out of range; allowed: 1 to 256"),
                bad("simulate --threads 100000", "'--threads': 100000 is out of range"),
                bad("simulate --nodes 1", "'--nodes': 1 is out of range; allowed: 2 to 64"),
                bad("simulate --duration 1s", "'--duration': 1s is out of range; allowed: 10s to 1d"),
                bad("simulate --duration -60s", "'--duration'"),
                bad("simulate --duration 60", "a bare number has no unit"),
                bad("simulate --from 9223372036854775807", "'--from'"),
                bad("simulate --report /no/such/parent/report", "'--report': /no/such/parent/report's parent directory does not exist"),
                // simulate-driver
                bad("simulate-driver --seeds 0", "'--seeds': 0 is out of range; allowed: 1 to 100,000,000"),
                bad("simulate-driver --threads 0", "'--threads': 0 is out of range; allowed: 1 to 256"),
                bad("simulate-driver --nodes 17", "'--nodes': 17 is out of range; allowed: 2 to 16"),
                bad("simulate-driver --duration 10s", "'--duration': 10s is out of range; allowed: 20s to 1d"),
                bad("simulate-driver --from 9223372036854775807", "'--from'"),
                bad("simulate-driver --mutation NO_SUCH_BUG", "--mutation"),
                // demo
                bad("demo --duration PT0S", "'--duration': 0s is out of range; allowed: 4s to 1h"),
                bad("demo --duration -PT5S", "'--duration': -5s is out of range"),
                bad("demo --ttl P125000D", "'--ttl': 125000d is out of range; allowed: 100ms to 5m"),
                bad("demo --ttl 3000000h", "'--ttl'"),
                bad("demo --ttl 0s", "'--ttl': 0s is out of range"),
                bad("demo --ttl 1x", "'1x' is not a duration"),
                bad("demo --replicas 1000", "'--replicas': 1000 is out of range; allowed: 2 to " + replicaLimit),
                bad("demo --replicas 1", "'--replicas': 1 is out of range"),
                bad("demo --processes --backend mem:", "--processes cannot use --backend mem:"),
                bad("demo --processes --backend MEM:", "--processes cannot use --backend mem:"),
                bad("demo --duration 3s --ttl 1s", "at least 4 TTLs and 2s"),
                // race
                bad("race --replicas 0", "'--replicas': 0 is out of range; allowed: 1 to 256"),
                bad("race --rounds 0", "'--rounds': 0 is out of range; allowed: 1 to 100,000"),
                bad("race --rounds 2147483648", "'--rounds'"),
                // verify
                bad("verify mem: --create-writers 1", "'--create-writers': 1 is out of range; allowed: 2 to 256"),
                bad("verify mem: --create-rounds 0", "'--create-rounds': 0 is out of range"),
                bad("verify mem: --increment-writers 100000", "'--increment-writers': 100000 is out of range"),
                bad("verify mem: --increments -1", "'--increments': -1 is out of range"),
                bad("verify", "Missing required parameter"),
                // bench
                bad("bench --each 0s", "'--each': 0s is out of range; allowed: 100ms to 1h"),
                bad("bench --latency -1ms", "'--latency': -1ms is out of range"),
                bad("bench --warm-up 2h", "'--warm-up': 2h is out of range"),
                bad("bench --pairs 0", "'--pairs': 0 is out of range"),
                bad("bench --leases 0", "'--leases': 0 is out of range; allowed: 1 to 1,000,000"),
                bad("bench --local-cas /no/such/dir", "'--local-cas': /no/such/dir is not an existing directory"),
                bad("bench --scheduler wheels", "'--scheduler': 'wheels'; allowed: wheel, executor"),
                // snapshot
                bad("snapshot push mem: db /no/such/file --wait -1s", "'--wait': -1s is out of range; allowed: 1s to 1d"),
                bad("snapshot push mem: db /no/such/file --lease w --wait 0s", "'--wait': 0s is out of range; allowed: 1s to 1d"),
                // replica (hidden, run by demo --processes)
                bad("replica --name r --backend mem: --ttl 10ms --duration 5s", "'--ttl': 10ms is out of range"));
    }

    private static Arguments bad(String commandLine, String expected) {
        return Arguments.of(commandLine, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedWithExitTwoAndAMessageThatNamesTheProblemButNoSecret(String commandLine, String expected) {
        CliRun r = CliRun.of(commandLine.split(" "));
        String printed = r.out() + r.err();
        assertEquals(2, r.status(), printed);
        assertTrue(printed.contains(expected), "expected '" + expected + "' in: " + printed);
        assertFalse(printed.toLowerCase(Locale.ROOT).contains(SECRET), "a secret was echoed: " + printed);
        assertFalse(r.err().isBlank(), "errors go to standard error");
    }

    /** Every numeric and duration option of every command is in the table above with a value out of its range. */
    @org.junit.jupiter.api.Test
    void everyNumericOptionIsCovered() {
        String table = cases().map(a -> (String) a.get()[0]).reduce("", (x, y) -> x + "\n" + y);
        picocli.CommandLine cli = TenureCli.commandLine();
        allCommands(cli).filter(c -> c != cli).forEach(c -> c.getCommandSpec().options().stream()
                .filter(o -> Arrays.asList(int.class, Integer.class, long.class, Long.class, java.time.Duration.class).contains(o.type()))
                .filter(o -> !o.longestName().equals("--seed")) // any long names a seed
                .forEach(o -> {
                    String command = c.getCommandSpec().qualifiedName(" ").substring("tenure ".length());
                    assertTrue(table.lines().anyMatch(l -> l.startsWith(command + " ") && l.contains(o.longestName() + " ")),
                            command + " " + o.longestName() + " has no bad-input case");
                }));
    }

    private static Stream<picocli.CommandLine> allCommands(picocli.CommandLine cli) {
        return Stream.concat(Stream.of(cli), cli.getSubcommands().values().stream().flatMap(BadInputTest::allCommands));
    }
}
