package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {

    @ParameterizedTest(name = "{0} = {1} ns")
    @CsvSource({"2s, 2000000000", "500ms, 500000000", "1m, 60000000000", "1h, 3600000000000", "1d, 86400000000000",
        "250us, 250000", "250µs, 250000", "7ns, 7", "1.5s, 1500000000", "1m30s, 90000000000", "1h2m3s4ms, 3723004000000",
        "PT2S, 2000000000", "pt0.5s, 500000000", "P1D, 86400000000000", "-PT5S, -5000000000", "-5s, -5000000000",
        "0s, 0", "2S, 2000000000", " 3s , 3000000000"})
    void readsEveryForm(String given, long nanos) {
        assertEquals(Duration.ofNanos(nanos), DurationConverter.parse(given));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "5.0", "s", "5 s", "5sec", "5x", "1m30", "ms5", "--5s", "PT", "P5", "1.s", "99999999999999d"})
    void refusesAnythingElseListingTheForms(String given) {
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> DurationConverter.parse(given));
        assertTrue(e.getMessage().contains("500ms, 2s") || e.getMessage().contains("too long"), e.getMessage());
    }

    @Test
    void aBareNumberIsToldItNeedsAUnit() {
        assertTrue(assertThrows(TypeConversionException.class, () -> DurationConverter.parse("30")).getMessage()
                .contains("a bare number has no unit"));
    }

    @ParameterizedTest
    @CsvSource({"0, 0s", "1500, 1500ms", "60000, 1m", "90000, 1m30s", "86400000, 1d", "-5000, -5s"})
    void formatsAsAUserWouldWrite(long millis, String shown) {
        assertEquals(shown, DurationConverter.format(Duration.ofMillis(millis)));
        assertEquals(Duration.ofMillis(millis), DurationConverter.parse(shown), "what is shown reads back");
    }

    /** Every Duration option goes through the one converter: the short forms work on each command. */
    @Test
    void everyCommandTakesTheShortForms() {
        CliRun r = CliRun.of("simulate", "--seeds", "1", "--duration", "20s", "--threads", "1");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("20 s virtual each"), r.out());
    }
}
