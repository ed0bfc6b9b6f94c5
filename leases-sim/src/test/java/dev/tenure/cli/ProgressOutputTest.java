package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The progress bar is redrawn in place only on a terminal; anywhere else it is plain lines. */
class ProgressOutputTest {

    private static CliRun simulate(boolean terminal) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls == SimulateCommand.class ? cls.cast(new SimulateCommand(() -> terminal)) : CommandLine.defaultFactory().create(cls);
            }
        };
        CommandLine cli = TenureCli.commandLine(factory);
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int status = cli.execute("simulate", "--seeds", "4", "--duration", "10s", "--no-ledger", "--threads", "1");
        return new CliRun(status, out.toString(), err.toString());
    }

    @Test
    void onATerminalTheBarIsRedrawnWithCarriageReturns() {
        CliRun r = simulate(true);
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals(4, r.out().chars().filter(c -> c == '\r').count(), r.out());
        assertTrue(r.out().contains("\r[########################################] 4/4 seeds, 0 failing\n"), r.out());
    }

    @Test
    void offATerminalProgressIsPlainLines() {
        CliRun r = simulate(false);
        assertEquals(0, r.status(), r.out() + r.err());
        assertFalse(r.out().contains("\r"), "no carriage return off a terminal: " + r.out());
        assertFalse(r.out().contains("[#"), r.out());
        // 4 seeds: a line at each tenth reached, 1/4 (2 tenths), 2/4, 3/4, 4/4.
        assertEquals(4, r.out().lines().filter(l -> l.matches("progress: \\d/4 seeds \\(\\d+%\\), 0 failing, \\d+\\.\\d s")).count(), r.out());
    }

    @Test
    void theDefaultRunInTestsIsNotATerminal() {
        CliRun r = CliRun.of("simulate", "--seeds", "2", "--duration", "10s", "--no-ledger", "--threads", "1");
        assertFalse(r.out().contains("\r"), r.out());
    }
}
