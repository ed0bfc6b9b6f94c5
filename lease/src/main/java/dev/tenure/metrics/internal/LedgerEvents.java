package dev.tenure.metrics.internal;

import dev.tenure.ledger.LedgerException;
import dev.tenure.metrics.TenureObserver;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one ledger writer tells operators: INFO when it opens, is fenced or is closed, WARN when it
 * stops on any other error, and {@link TenureObserver} calls for appends and batches. Never logs an
 * entry's content.
 */
public final class LedgerEvents {

    static final String LOGGER = "dev.tenure.ledger.LedgerWriter";

    private final String ledger;
    private final String writerId;
    private final TenureObserver observer;
    private final Logger log;

    /** For the writer {@code writerId} of {@code ledger}, logging to the usual logger. */
    public LedgerEvents(String ledger, String writerId, TenureObserver observer) {
        this(ledger, writerId, observer, LoggerFactory.getLogger(LOGGER));
    }

    /** As above, with the logger given (tests read what was logged). */
    public LedgerEvents(String ledger, String writerId, TenureObserver observer, Logger log) {
        this.ledger = ledger;
        this.writerId = writerId;
        this.observer = observer;
        this.log = log;
    }

    /** The writer fenced the ledger at {@code epoch} (0: multi-writer mode) and can append from segment {@code from}. */
    public void opened(long epoch, long from) {
        log.info("ledger {}: writer {} opened at epoch {}, its fence at segment {}", ledger, writerId, epoch, from);
    }

    /** The writer stopped for good on {@code error}. */
    public void stopped(long epoch, RuntimeException error) {
        String why = Redact.text(error.getMessage());
        if (error instanceof LedgerException.Fenced) {
            log.info("ledger {}: writer {} at epoch {} was fenced by a newer writer and stopped; appends not yet"
                    + " acknowledged failed: {}", ledger, writerId, epoch, why);
            tell(() -> observer.ledgerWriterFenced(ledger));
        } else if (!(error instanceof LedgerException.Closed)) {
            log.warn("ledger {}: writer {} at epoch {} stopped: {}: {}", ledger, writerId, epoch, error.getClass().getSimpleName(), why);
        }
    }

    /** The writer was closed by its owner. */
    public void closed(long epoch) {
        log.info("ledger {}: writer {} at epoch {} closed", ledger, writerId, epoch);
    }

    /** An append was queued. */
    public void queued() {
        tell(() -> observer.ledgerAppendQueued(ledger));
    }

    /** A queued append was acknowledged or failed, {@code nanos} after it was queued. */
    public void done(boolean acknowledged, long nanos) {
        tell(() -> observer.ledgerAppendDone(ledger, acknowledged, Duration.ofNanos(Math.max(0, nanos))));
    }

    /** A segment of {@code entries} entries, {@code bytes} bytes of entries, was formed and handed to the store. */
    public void batch(int entries, long bytes) {
        tell(() -> observer.ledgerBatch(ledger, entries, bytes));
    }

    private void tell(Runnable call) {
        Observers.tell(observer, log, call);
    }
}
