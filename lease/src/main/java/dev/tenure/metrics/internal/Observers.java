package dev.tenure.metrics.internal;

import dev.tenure.metrics.TenureObserver;
import org.slf4j.Logger;

/** Calling a {@link TenureObserver} from protocol code: the one place that guards it. */
final class Observers {

    private Observers() {
    }

    /**
     * Calls the observer; one that throws is logged, never allowed to stop the protocol that
     * called it. Nothing is called for {@link TenureObserver#none()}, the default on every
     * request of every lease.
     */
    static void tell(TenureObserver observer, Logger log, Runnable call) {
        if (observer == TenureObserver.none()) {
            return;
        }
        try {
            call.run();
        } catch (RuntimeException e) {
            log.warn("the metrics observer {} failed: {}", observer.getClass().getName(), Redact.text(String.valueOf(e)));
        }
    }
}
