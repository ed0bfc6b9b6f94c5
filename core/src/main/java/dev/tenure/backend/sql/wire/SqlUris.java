package dev.tenure.backend.sql.wire;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Secret;
import dev.tenure.backend.sql.SqlOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * URI parsing shared by the SQL backends' {@code open(String uri)} factories: the query string,
 * the refusal of credentials in a URI, and where a token comes from instead.
 */
public final class SqlUris {

    /** Parameter names that would carry a credential; a URI holding one is refused without echoing it. */
    private static final Set<String> CREDENTIAL_NAMES = Set.of("token", "authtoken", "auth_token", "apitoken", "api_token",
            "password", "secret", "jwt", "key", "apikey", "api_key");

    private SqlUris() {
    }

    /**
     * A backend URI taken apart.
     *
     * @param uri the parsed URI
     * @param query its decoded parameters, already checked by {@link #checkParameters}
     */
    public record Parsed(URI uri, Map<String, String> query) {
    }

    /**
     * Parses {@code uri}, which must have {@code scheme}, an authority without user info, and only
     * known parameters (see {@link #checkParameters}). Messages never repeat the query, which may
     * hold a token.
     *
     * @param form the expected form, for messages
     * @param tokenSources how to supply a token instead of putting it in the URI, for messages
     * @throws BackendException CONFIG naming what is wrong
     */
    public static Parsed parse(String uri, String scheme, String form, Set<String> own, String tokenSources) {
        URI parsed;
        try {
            parsed = new URI(Objects.requireNonNull(uri, "uri"));
        } catch (URISyntaxException e) {
            throw invalid(scheme, "not a URI: '" + redacted(uri) + "'; expected " + form);
        }
        if (!scheme.equals(parsed.getScheme()) || parsed.getRawAuthority() == null) {
            throw invalid(scheme, "expected " + form + ", got '" + redacted(uri) + "'");
        }
        if (parsed.getRawAuthority().contains("@")) {
            throw invalid(scheme, "credentials in the URI are refused; " + tokenSources);
        }
        Map<String, String> query = query(parsed.getRawQuery());
        checkParameters(scheme, query, own, tokenSources);
        return new Parsed(parsed, query);
    }

    private static BackendException invalid(String scheme, String message) {
        return BackendException.config(null, "invalid " + scheme + ": URI: " + message, null);
    }

    /**
     * The decoded parameters of a raw query string, in order; a parameter without {@code =} has
     * the value "".
     */
    public static Map<String, String> query(String rawQuery) {
        Map<String, String> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
            out.put(name, value);
        }
        return out;
    }

    /**
     * Refuses a credential among the parameters, then any parameter that is neither in {@code own}
     * nor in {@link SqlOptions#URI_PARAMETERS}. Messages name parameters, never values.
     *
     * @param scheme the URI scheme, for messages
     * @param tokenSources how to supply a token instead, for the message
     * @throws BackendException CONFIG
     */
    public static void checkParameters(String scheme, Map<String, String> query, Set<String> own, String tokenSources) {
        for (String name : query.keySet()) {
            if (CREDENTIAL_NAMES.contains(name.toLowerCase(Locale.ROOT))) {
                throw BackendException.config(null, "a " + scheme + ": URI must not carry a credential (parameter '" + name
                        + "'): URIs end up in shell history and logs; " + tokenSources, null);
            }
        }
        Set<String> known = new TreeSet<>(own);
        known.addAll(SqlOptions.URI_PARAMETERS);
        for (String name : query.keySet()) {
            if (!known.contains(name)) {
                throw BackendException.config(null, "unknown " + scheme + ": URI parameter '" + name + "'; known: " + known, null);
            }
        }
    }

    /**
     * The token named by the {@code tokenFile} parameter, else the one in the environment variable
     * {@code envVar}, else none.
     *
     * @throws BackendException CONFIG when the file cannot be read or the variable is blank
     */
    public static Optional<Secret> token(Map<String, String> query, Map<String, String> env, String envVar) {
        String file = query.get("tokenFile");
        if (file != null) {
            if (file.isBlank()) {
                throw BackendException.config(null, "the tokenFile parameter is empty", null);
            }
            return Optional.of(Secret.fromFile(Path.of(file)));
        }
        String fromEnv = env.get(envVar);
        if (fromEnv == null) {
            return Optional.empty();
        }
        if (fromEnv.isBlank()) {
            throw BackendException.config(null, "the environment variable " + envVar + " is set but empty", null);
        }
        return Optional.of(Secret.of(fromEnv));
    }

    /** The URI without its user info and its query, which may hold values that should not be echoed. */
    public static String redacted(String uri) {
        if (uri == null) {
            return "null";
        }
        // User info too: a URI that failed to parse has not been checked for it yet.
        return dev.tenure.backend.internal.UriQueries.redact(uri);
    }
}
