package dev.tenure.backend.internal;

import dev.tenure.backend.BackendException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The query parameters of a backend URI, checked against the names a backend knows, so that a
 * misspelt option fails loudly and a credential is never accepted from a URI.
 */
public final class UriQueries {

    private final Map<String, String> values;
    private final String scheme;

    private UriQueries(String scheme, Map<String, String> values) {
        this.scheme = scheme;
        this.values = values;
    }

    /**
     * Parses {@code rawQuery} (may be null) and refuses names outside {@code known}. A refused
     * name that looks like a credential gets a hint and its value is never echoed.
     */
    public static UriQueries parse(String scheme, String rawQuery, Set<String> known) {
        Map<String, String> out = new LinkedHashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (!known.contains(name)) {
                    String lower = name.toLowerCase();
                    boolean secretish = lower.contains("secret") || lower.contains("key") || lower.contains("token")
                            || lower.contains("password") || lower.contains("auth");
                    throw BackendException.config(null, "unknown " + scheme + " URI parameter '" + name + "'"
                            + (secretish ? " (credentials are never taken from a URI: use a file or the environment)" : "")
                            + "; known: " + known, null);
                }
                out.put(name, value);
            }
        }
        return new UriQueries(scheme, Collections.unmodifiableMap(out));
    }

    /** The value of {@code name}, or null when absent. */
    public String get(String name) {
        return values.get(name);
    }

    /** True when {@code name} was given. */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** A boolean parameter: {@code true} or {@code false}, anything else is a CONFIG error. */
    public boolean bool(String name, boolean absent) {
        String v = values.get(name);
        if (v == null) {
            return absent;
        }
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        throw BackendException.config(null, scheme + " URI parameter '" + name + "' must be true or false, not '" + v + "'", null);
    }

    /** A duration given in milliseconds under {@code name}, or {@code absent}. */
    public Duration millis(String name, Duration absent) {
        String v = values.get(name);
        if (v == null) {
            return absent;
        }
        try {
            return Duration.ofMillis(Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw BackendException.config(null, scheme + " URI parameter '" + name + "' must be a number of milliseconds, not '"
                    + v + "'", null);
        }
    }

    /** An integer parameter, or {@code absent}. */
    public int integer(String name, int absent) {
        String v = values.get(name);
        if (v == null) {
            return absent;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw BackendException.config(null, scheme + " URI parameter '" + name + "' must be a whole number, not '" + v + "'", null);
        }
    }

    /**
     * Removes the query and any user-info from a URI for messages: query values may be paths a user
     * did not mean to show, and user-info ({@code user:password@}) is a credential.
     */
    public static String redact(String uri) {
        int authority = uri.indexOf("//");
        // User-info ends at the last '@' in the whole string: a secret may itself hold '/', '?' or '#'
        // (base64 keys do), so nothing before that '@' is shown, even when that hides a path holding an '@'.
        int at = authority < 0 ? -1 : uri.lastIndexOf('@');
        String head;
        String rest;
        if (at > authority + 1) {
            head = uri.substring(0, authority + 2) + "...@";
            rest = uri.substring(at + 1);
        } else {
            head = "";
            rest = uri;
        }
        int q = rest.indexOf('?');
        return q < 0 ? head + rest : head + rest.substring(0, q) + "?...";
    }
}
