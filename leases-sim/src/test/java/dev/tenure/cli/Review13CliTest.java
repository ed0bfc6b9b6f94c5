package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Review of issue 13: bad input that still slips past the typed, exit-2 errors. */
class Review13CliTest {

    /** A duration beyond 292 years with a sub-millisecond part: the range message cannot be printed (long overflow). */
    @Test
    void aHugeIsoDurationWithNanosIsARangeErrorNamingTheOption() {
        CliRun r = CliRun.of("demo", "--ttl", "PT2562048H0.0000001S");
        String printed = r.out() + r.err();
        assertEquals(2, r.status(), printed);
        assertTrue(printed.contains("--ttl"), "the message should name the option and its range: " + printed);
    }
}
