package dev.tenure.backend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A credential (a bearer token, an {@code Authorization} header value) that never shows itself:
 * {@code toString()}, {@code equals} and exception messages reveal nothing of it. Only the
 * backend that sends it calls {@link #reveal()}.
 */
public final class Secret {

    private final String value;
    private final String origin;

    private Secret(String value, String origin) {
        this.value = value;
        this.origin = origin;
    }

    /**
     * A secret given directly.
     *
     * @throws BackendException CONFIG when the value is blank or holds a line break (which
     *     would split an HTTP header)
     */
    public static Secret of(String value) {
        return checked(Objects.requireNonNull(value, "value"), "given in configuration");
    }

    /**
     * A secret read from a file, trimmed of surrounding whitespace; the file's path may appear
     * in messages, its content never does.
     *
     * @throws BackendException CONFIG when the file cannot be read or is empty
     */
    public static Secret fromFile(Path file) {
        Objects.requireNonNull(file, "file");
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw BackendException.config(null, "cannot read the secret file " + file + ": "
                    + e.getClass().getSimpleName(), null);
        }
        return checked(content.strip(), "read from " + file);
    }

    private static Secret checked(String value, String origin) {
        if (value.isBlank()) {
            throw BackendException.config(null, "the secret " + origin + " is empty", null);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw BackendException.config(null, "the secret " + origin
                        + " contains a line break or NUL; a header value must be one line", null);
            }
        }
        return new Secret(value, origin);
    }

    /** The secret itself, for the one place that sends it. */
    public String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return "Secret[hidden, " + origin + "]";
    }
}
