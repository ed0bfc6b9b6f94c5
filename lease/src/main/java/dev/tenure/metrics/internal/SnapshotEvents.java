package dev.tenure.metrics.internal;

import dev.tenure.metrics.TenureObserver;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What snapshot transport tells operators: one INFO line and one {@link TenureObserver} call per push and per pull. */
public final class SnapshotEvents {

    static final String LOGGER = "dev.tenure.snapshot.SnapshotStore";

    private final String snapshot;
    private final TenureObserver observer;
    private final Logger log;

    /** For snapshot {@code snapshot}, logging to the usual logger. */
    public SnapshotEvents(String snapshot, TenureObserver observer) {
        this(snapshot, observer, LoggerFactory.getLogger(LOGGER));
    }

    /** As above, with the logger given (tests read what was logged). */
    public SnapshotEvents(String snapshot, TenureObserver observer, Logger log) {
        this.snapshot = snapshot;
        this.observer = observer;
        this.log = log;
    }

    /** A flush by {@code writerId} at {@code epoch} made generation {@code generation} of {@code bytes} bytes current, in {@code nanos}. */
    public void pushed(String writerId, long epoch, long generation, long bytes, long nanos) {
        log.info("snapshot {}: pushed generation {} by {} at epoch {}: {} bytes in {} ms", snapshot, generation, writerId, epoch,
                bytes, Redact.millis(nanos));
        tell(() -> observer.snapshotPushed(snapshot, bytes, Duration.ofNanos(Math.max(0, nanos))));
    }

    /** Generation {@code generation}, {@code bytes} bytes, was downloaded, checked and put in place, in {@code nanos}. */
    public void pulled(long generation, long bytes, long nanos) {
        log.info("snapshot {}: pulled generation {}: {} bytes in {} ms", snapshot, generation, bytes, Redact.millis(nanos));
        tell(() -> observer.snapshotPulled(snapshot, bytes, Duration.ofNanos(Math.max(0, nanos))));
    }

    private void tell(Runnable call) {
        Observers.tell(observer, log, call);
    }
}
