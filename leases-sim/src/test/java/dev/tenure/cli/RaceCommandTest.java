package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RaceCommandTest {

    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = TenureCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int status = cli.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void raceOnTheLocalBackendHasOneWinnerPerRoundAndRisingEpochs() {
        Run r = run("race", "--replicas", "6", "--rounds", "8", "--backend", "file://" + dir);
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals(8, r.out().lines().filter(l -> l.startsWith("round")).count(), r.out());
        assertTrue(r.out().contains("round  8: replica-"), r.out());
        assertTrue(r.out().contains("won epoch 8"), r.out());
        assertTrue(r.out().contains("every round had exactly one winner and epochs only rose"), r.out());
    }

    @Test
    void aSecondRunContinuesTheEpochsInsteadOfRestarting() {
        assertEquals(0, run("race", "--rounds", "3", "--backend", "file://" + dir).status());
        Run second = run("race", "--rounds", "2", "--backend", "file://" + dir);
        assertEquals(0, second.status(), second.out());
        assertTrue(second.out().contains("won epoch 5"), second.out());
    }

    @Test
    void anUnknownBackendUriIsRefusedWithTheFormsThatWork() {
        Run r = run("race", "--backend", "ftp://nowhere");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("unsupported backend URI 'ftp://nowhere'") && r.err().contains("file:///"), r.err());
    }

    @Test
    void raceOnTheInMemoryBackendWorksToo() {
        Run r = run("race", "--replicas", "3", "--rounds", "4", "--backend", "mem:");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("won epoch 4"), r.out());
    }
}
