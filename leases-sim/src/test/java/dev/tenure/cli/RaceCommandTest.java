package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RaceCommandTest {

    @TempDir
    Path dir;

    @Test
    void raceOnTheLocalBackendHasOneWinnerPerRoundAndRisingEpochs() {
        CliRun r = CliRun.of("race", "--replicas", "6", "--rounds", "8", "--backend", "file://" + dir);
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals(8, r.out().lines().filter(l -> l.startsWith("round")).count(), r.out());
        assertTrue(r.out().contains("round  8: replica-"), r.out());
        assertTrue(r.out().contains("won epoch 8"), r.out());
        assertTrue(r.out().contains("every round had exactly one winner and epochs only rose"), r.out());
        // 6 replicas x 8 rounds: the first round's readers all see no record, later rounds' losers may read the new epoch first.
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("throughput: (\\d+) conditional PUTs in [0-9.]+ s of racing: \\d+"
                + " conditional PUTs/s; [0-9.]+ contended increments/s").matcher(r.out());
        assertTrue(m.find(), r.out());
        int puts = Integer.parseInt(m.group(1));
        assertTrue(puts >= 8 && puts <= 48, "between one and six conditional PUTs per round: " + r.out());
    }

    /** A store that answers a PUT ambiguously (as RGW answers some racing PUTs 500), after applying it or not. */
    private static dev.tenure.backend.AtomicRemoteBackend ambiguousPuts(boolean applied) {
        return new dev.tenure.backend.ForwardingAtomicBackend(new dev.tenure.backend.memory.InMemoryBackend()) {
            @Override
            public dev.tenure.backend.ObjectVersion put(String key, byte[] bytes, dev.tenure.backend.ConditionalPut condition) {
                if (applied) {
                    delegate.put(key, bytes, condition);
                }
                throw dev.tenure.backend.BackendException.transport(key, true, "500 UnknownError (the write may have been applied)", null);
            }
        };
    }

    @Test
    void anAmbiguousPutIsResolvedByReadingTheRecordBackNotAnAbortedRace() {
        RaceCommand.Outcome landed = RaceCommand.attempt(ambiguousPuts(true), "replica-1", 1);
        assertTrue(landed.won(), landed.toString());
        assertEquals(1, landed.ambiguous());
        assertEquals(3, landed.requests(), "read, put, read back");
        RaceCommand.Outcome lost = RaceCommand.attempt(ambiguousPuts(false), "replica-1", 1);
        assertEquals(false, lost.won(), lost.toString());
        assertEquals(1, lost.ambiguous());
    }

    @Test
    void aSecondRunContinuesTheEpochsInsteadOfRestarting() {
        assertEquals(0, CliRun.of("race", "--rounds", "3", "--backend", "file://" + dir).status());
        CliRun second = CliRun.of("race", "--rounds", "2", "--backend", "file://" + dir);
        assertEquals(0, second.status(), second.out());
        assertTrue(second.out().contains("won epoch 5"), second.out());
    }

    @Test
    void anUnknownBackendUriIsRefusedWithTheFormsThatWork() {
        CliRun r = CliRun.of("race", "--backend", "ftp://nowhere");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("unsupported backend URI 'ftp://nowhere'") && r.err().contains("file:///"), r.err());
    }

    @Test
    void raceOnTheInMemoryBackendWorksToo() {
        CliRun r = CliRun.of("race", "--replicas", "3", "--rounds", "4", "--backend", "mem:");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("won epoch 4"), r.out());
    }
}
