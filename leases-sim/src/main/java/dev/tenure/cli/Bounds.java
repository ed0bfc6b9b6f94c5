package dev.tenure.cli;

import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * The range checks every numeric and duration option goes through before its command runs; a
 * value outside is a usage error (exit 2) whose message names the option, the range and, where the
 * range is not obvious, why.
 */
final class Bounds {

    private Bounds() {
    }

    /** A command whose options have ranges; checked after parsing, before {@code call()}. */
    interface Checked {
        /** Throws a {@link ParameterException} for the first option out of its range. */
        void checkBounds();
    }

    static void check(CommandSpec spec, String option, long value, long min, long max) {
        check(spec, option, value, min, max, "");
    }

    static void check(CommandSpec spec, String option, long value, long min, long max, String why) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + value
                    + " is out of range; allowed: " + String.format("%,d", min) + " to " + String.format("%,d", max)
                    + (why.isEmpty() ? "" : " (" + why + ")"));
        }
    }

    static void check(CommandSpec spec, String option, Duration value, Duration min, Duration max) {
        check(spec, option, value, min, max, "");
    }

    static void check(CommandSpec spec, String option, Duration value, Duration min, Duration max, String why) {
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': "
                    + DurationConverter.format(value) + " is out of range; allowed: " + DurationConverter.format(min) + " to "
                    + DurationConverter.format(max) + (why.isEmpty() ? "" : " (" + why + ")"));
        }
    }
}
