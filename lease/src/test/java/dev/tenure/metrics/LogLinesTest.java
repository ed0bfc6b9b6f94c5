package dev.tenure.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.ledger.LedgerException;
import dev.tenure.metrics.internal.LedgerEvents;
import dev.tenure.metrics.internal.Redact;
import dev.tenure.metrics.internal.SnapshotEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** The ledger writer's and snapshot transport's log lines, and the redaction every line goes through. */
class LogLinesTest {

    private final RecordingLogger log = new RecordingLogger("t", Level.INFO);
    private final List<String> told = new ArrayList<>();
    private final TenureObserver observer = new TenureObserver() {
        @Override
        public void ledgerWriterFenced(String ledger) {
            told.add("fenced " + ledger);
        }

        @Override
        public void snapshotPushed(String snapshot, long bytes, Duration took) {
            told.add("pushed " + snapshot + " " + bytes + " " + took.toMillis());
        }

        @Override
        public void snapshotPulled(String snapshot, long bytes, Duration took) {
            told.add("pulled " + snapshot + " " + bytes + " " + took.toMillis());
        }
    };

    @Test
    void aLedgerWriterSaysWhenItOpensIsFencedStopsAndCloses() {
        LedgerEvents events = new LedgerEvents("log", "w1", observer, log);
        events.opened(3, 17);
        events.stopped(3, new LedgerException.Fenced("segment 18 holds epoch 4"));
        events.stopped(3, new LedgerException.Corrupt("segment 19 fails its checksum"));
        events.stopped(3, new LedgerException.Closed("closed", null));
        events.closed(3);
        assertEquals(List.of(
                "INFO ledger log: writer w1 opened at epoch 3, its fence at segment 17",
                "INFO ledger log: writer w1 at epoch 3 was fenced by a newer writer and stopped; appends not yet acknowledged failed:"
                        + " segment 18 holds epoch 4",
                "WARN ledger log: writer w1 at epoch 3 stopped: Corrupt: segment 19 fails its checksum",
                "INFO ledger log: writer w1 at epoch 3 closed"), log.lines());
        assertEquals(List.of("fenced log"), told);
    }

    @Test
    void snapshotPushesAndPullsAreLoggedWithTheirSizeAndTime() {
        SnapshotEvents events = new SnapshotEvents("db", observer, log);
        events.pushed("w1", 2, 5, 4096, 12_300_000);
        events.pulled(5, 4096, 7_000_000);
        assertEquals(List.of("INFO snapshot db: pushed generation 5 by w1 at epoch 2: 4096 bytes in 12.3 ms",
                "INFO snapshot db: pulled generation 5: 4096 bytes in 7.0 ms"), log.lines());
        assertEquals(List.of("pushed db 4096 12", "pulled db 4096 7"), told);
    }

    @Test
    void userInfoIsRedactedFromEveryUri() {
        assertEquals("PUT https://***@host/b/k failed; ftp://***@h/x; file://***@host/dir; s3://bucket/k",
                Redact.text("PUT https://AKIA:secret@host/b/k failed; ftp://user:secret@h/x; file://token@host/dir; s3://bucket/k"));
        assertEquals("mail me at a@b.c", Redact.text("mail me at a@b.c"));
        assertEquals("null", Redact.text(null));
        assertTrue(Redact.millis(1_250_000).equals("1.2"));
    }
}
