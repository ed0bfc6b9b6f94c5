package dev.tenure.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The one reading of a duration on the command line, registered for every {@link Duration}
 * option: {@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 1m30s}, {@code 1h}, {@code 1d},
 * {@code 250us}, and ISO-8601 ({@code PT2S}) as before. A bare number is refused: a user who
 * writes {@code --ttl 5} may mean seconds or milliseconds, and guessing wrong by a factor of a
 * thousand is worse than asking.
 */
final class DurationConverter implements ITypeConverter<Duration> {

    /** What the error lists, in the order a user reaches for them. */
    static final String FORMS = "a number and a unit (500ms, 2s, 1.5s, 1m, 1m30s, 1h, 1d; also ns and us),"
            + " or ISO-8601 (PT2S)";

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h|d)");
    private static final Map<String, Long> NANOS_PER_UNIT = Map.of("ns", 1L, "us", 1_000L, "µs", 1_000L,
            "ms", 1_000_000L, "s", 1_000_000_000L, "m", 60_000_000_000L, "h", 3_600_000_000_000L, "d", 86_400_000_000_000L);

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    static Duration parse(String given) {
        String value = given == null ? "" : given.strip();
        if (value.isEmpty()) {
            throw new TypeConversionException("an empty value is not a duration: use " + FORMS);
        }
        if (value.regionMatches(true, 0, "P", 0, 1) || value.regionMatches(true, 0, "-P", 0, 2)) {
            try {
                return Duration.parse(value.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + given + "' is not an ISO-8601 duration: use " + FORMS);
            }
        }
        boolean negative = value.startsWith("-");
        String rest = negative ? value.substring(1) : value;
        Matcher m = PART.matcher(rest.toLowerCase(Locale.ROOT));
        BigDecimal nanos = BigDecimal.ZERO;
        int at = 0;
        while (at < rest.length() && m.find(at) && m.start() == at) {
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(NANOS_PER_UNIT.get(m.group(2)))));
            at = m.end();
        }
        if (at == 0 || at != rest.length()) {
            String hint = rest.matches("\\d+(\\.\\d+)?") ? " (a bare number has no unit: write 5s or 500ms)" : "";
            throw new TypeConversionException("'" + given + "' is not a duration" + hint + ": use " + FORMS);
        }
        try {
            long whole = nanos.setScale(0, java.math.RoundingMode.DOWN).longValueExact();
            return Duration.ofNanos(negative ? -whole : whole);
        } catch (ArithmeticException e) {
            throw new TypeConversionException("'" + given + "' is too long a duration (the limit is about 292 years)");
        }
    }

    /** A duration as a user would write it back: {@code 500ms}, {@code 2s}, {@code 1m30s}. */
    static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        if (d.isNegative()) {
            return "-" + format(d.negated());
        }
        // In BigInteger: an ISO-8601 value may exceed what a long holds in nanoseconds (or milliseconds).
        java.math.BigInteger nanos = java.math.BigInteger.valueOf(d.getSeconds()).multiply(java.math.BigInteger.valueOf(1_000_000_000L))
                .add(java.math.BigInteger.valueOf(d.getNano()));
        if (d.toNanosPart() % 1_000_000 != 0) {
            return d.toNanosPart() % 1000 == 0 ? nanos.divide(java.math.BigInteger.valueOf(1000)) + "us" : nanos + "ns";
        }
        if (d.toMillisPart() != 0) {
            return nanos.divide(java.math.BigInteger.valueOf(1_000_000)) + "ms";
        }
        StringBuilder s = new StringBuilder();
        if (d.toDays() > 0) {
            s.append(d.toDays()).append('d');
        }
        if (d.toHoursPart() > 0) {
            s.append(d.toHoursPart()).append('h');
        }
        if (d.toMinutesPart() > 0) {
            s.append(d.toMinutesPart()).append('m');
        }
        if (d.toSecondsPart() > 0) {
            s.append(d.toSecondsPart()).append('s');
        }
        return s.toString();
    }
}
