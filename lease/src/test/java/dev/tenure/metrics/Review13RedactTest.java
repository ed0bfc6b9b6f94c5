package dev.tenure.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tenure.metrics.internal.Redact;
import org.junit.jupiter.api.Test;

/** Review of issue 13: "no line ever carries a secret", for secrets shaped like real ones. */
class Review13RedactTest {

    /** Base64 secrets hold '/' and '+' (the core's UriQueries.redact says so and handles it; the log redaction does not). */
    @Test
    void aSecretHoldingASlashIsRedacted() {
        String line = Redact.text("PUT https://AKIAEXAMPLE:wJalr/XUtnFEMI+K7MDENG@host/bucket/leases/x failed");
        assertFalse(line.contains("XUtnFEMI"), line);
        assertFalse(line.contains("wJalr"), line);
    }

    /** A password with a raw '@' (as typed): nothing of it may remain. */
    @Test
    void aSecretHoldingAnAtIsRedactedWhole() {
        String line = Redact.text("cannot open ftp://user:p@ssw0rd@host/x");
        assertFalse(line.contains("ssw0rd"), line);
    }
}
