package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Review of issue 13: bad input that still slips past the typed, exit-2 errors. */
class Review13CliTest {

    /**
     * A duration beyond 292 years with a sub-millisecond part (ISO-8601 allows it): the range
     * message formats it in nanoseconds, which overflows; the run exits 1 with "long overflow".
     * Every duration option is affected.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "demo --ttl PT2562048H0.0000001S|--ttl",
            "demo --duration P106752DT0.000000001S|--duration",
            "simulate --duration PT2562048H0.0000001S|--duration",
            "bench --each PT2562048H0.0000001S|--each",
            "snapshot push mem: db /no/such/file --wait PT2562048H0.0000001S|--wait",
            "demo --ttl PT9223372036854775807.5S|--ttl"})
    void aHugeIsoDurationWithAFractionIsARangeErrorNamingTheOption(String commandLine, String option) {
        CliRun r = CliRun.of(commandLine.split(" "));
        String printed = r.out() + r.err();
        assertEquals(2, r.status(), printed);
        assertTrue(printed.contains("'" + option + "'"), "the message should name the option and its range: " + printed);
    }
}
