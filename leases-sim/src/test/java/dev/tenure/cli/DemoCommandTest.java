package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void theDemoElectsKillsTheLeaderFailsOverAndFindsNoOverlap() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = TenureCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int status = cli.execute("demo", "--replicas", "4", "--duration", "PT5S", "--ttl", "PT0.6S", "--backend", "file://" + dir);
        String printed = out.toString();
        assertEquals(0, status, printed + err);
        assertTrue(printed.contains("KILLED while leader"), printed);
        assertTrue(printed.matches("(?s).*elected, epoch \\d+ \\(failover \\d+\\.\\d+ s after the kill\\).*"), printed);
        assertTrue(printed.contains("at most 1 leader at once; epochs only rose and leadership never overlapped"), printed);
    }
}
