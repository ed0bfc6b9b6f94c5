package dev.tenure.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * A logger that keeps every line it is given, formatted, as {@code "LEVEL message"}: handed to the
 * code under test instead of the SLF4J binding's, so a test reads exactly what an operator would
 * see, deterministically, whatever binding is on the class path.
 */
public final class RecordingLogger extends AbstractLogger {

    private static final long serialVersionUID = 1L;

    private final transient List<String> lines = new CopyOnWriteArrayList<>();
    private final Level threshold;

    /** Keeps lines at {@code threshold} and above. */
    public RecordingLogger(String name, Level threshold) {
        this.name = name;
        this.threshold = threshold;
    }

    /** Every line kept, in order. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** The lines at {@code level} containing every one of {@code parts}. */
    public List<String> find(Level level, String... parts) {
        return lines.stream().filter(l -> l.startsWith(level + " ")).filter(l -> {
            for (String p : parts) {
                if (!l.contains(p)) {
                    return false;
                }
            }
            return true;
        }).collect(Collectors.toList());
    }

    /** Forgets every line kept so far. */
    public void clear() {
        lines.clear();
    }

    @Override
    public String toString() {
        return String.join("\n", lines);
    }

    private boolean on(Level level) {
        return level.toInt() >= threshold.toInt();
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
        lines.add(level + " " + MessageFormatter.basicArrayFormat(pattern, arguments));
    }

    @Override
    public boolean isTraceEnabled() {
        return on(Level.TRACE);
    }

    @Override
    public boolean isTraceEnabled(Marker marker) {
        return on(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return on(Level.DEBUG);
    }

    @Override
    public boolean isDebugEnabled(Marker marker) {
        return on(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return on(Level.INFO);
    }

    @Override
    public boolean isInfoEnabled(Marker marker) {
        return on(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return on(Level.WARN);
    }

    @Override
    public boolean isWarnEnabled(Marker marker) {
        return on(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return on(Level.ERROR);
    }

    @Override
    public boolean isErrorEnabled(Marker marker) {
        return on(Level.ERROR);
    }
}
