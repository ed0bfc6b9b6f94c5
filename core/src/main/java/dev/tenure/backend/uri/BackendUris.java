package dev.tenure.backend.uri;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.RemoteBackend;
import dev.tenure.backend.azure.AzureBlobBackend;
import dev.tenure.backend.d1.D1Backend;
import dev.tenure.backend.http.AtomicHttpBackend;
import dev.tenure.backend.http.HttpBackend;
import dev.tenure.backend.http.HttpSettings;
import dev.tenure.backend.internal.UriQueries;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.backend.s3.S3Backend;
import dev.tenure.backend.turso.TursoBackend;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Opens a backend from a URI, as the command line and configuration files name them. Which schemes
 * exist, and what each can do, is the table in {@link Scheme}.
 */
public final class BackendUris {

    private BackendUris() {
    }

    /**
     * Opens any backend, atomic or not, for snapshot transport: every {@link Scheme}.
     *
     * @param given the backend's URI
     * @return the backend, open
     * @throws BackendException CONFIG for a URI it does not understand (listing the forms), or for a
     *     scheme whose optional dependency is not on the class path (naming it)
     */
    public static RemoteBackend open(String given) {
        Scheme scheme = scheme(given);
        String uri = normalised(scheme, given);
        return switch (scheme) {
            case HTTP, HTTPS -> {
                HttpSettings settings = HttpSettings.fromUri(uri);
                yield settings.preconditions() == HttpSettings.Preconditions.ENFORCED
                        ? AtomicHttpBackend.open(settings) : HttpBackend.open(settings);
            }
            case LIBSQL -> TursoBackend.open(uri);
            case D1 -> D1Backend.open(uri);
            default -> openAtomic(uri);
        };
    }

    /**
     * Opens an atomic backend: a {@link Scheme} whose capability is {@code ATOMIC}, or an HTTP server
     * whose URI says {@code preconditions=enforced} (after its probe of the server passes).
     *
     * @param given the backend's URI
     * @return the backend, open
     * @throws BackendException CONFIG for anything else, or for a backend that is not atomic, saying why
     */
    public static AtomicRemoteBackend openAtomic(String given) {
        Scheme scheme = scheme(given);
        String uri = normalised(scheme, given);
        return switch (scheme) {
            case MEM -> new InMemoryBackend(uri);
            case FILE -> LocalBackend.create(localDirectory(uri));
            case S3, GS -> S3Backend.open(uri);
            case AZ -> AzureBlobBackend.open(uri);
            case HTTP, HTTPS -> {
                HttpSettings settings = HttpSettings.fromUri(uri);
                if (settings.preconditions() != HttpSettings.Preconditions.ENFORCED) {
                    throw BackendException.config(null, "'" + UriQueries.redact(uri) + "' is an HTTP server without a"
                            + " precondition claim, which is snapshot transport only; if the server enforces If-Match"
                            + " and If-None-Match on PUT and DELETE, add preconditions=enforced and Tenure will check it",
                            null);
                }
                yield AtomicHttpBackend.open(settings);
            }
            case LIBSQL, D1 -> throw BackendException.config(null, "'" + UriQueries.redact(uri) + "' is snapshot"
                    + " transport only: it cannot compare-and-swap, so it cannot hold a lease, a ledger or a fenced"
                    + " snapshot", null);
        };
    }

    /** The scheme of a URI Tenure can open, with its optional dependency present; CONFIG otherwise. */
    private static Scheme scheme(String uri) {
        if (uri == null || uri.isBlank()) {
            throw BackendException.config(null, "no backend URI given", null);
        }
        Scheme scheme = Scheme.of(uri).orElseThrow(() -> BackendException.config(null,
                "unsupported backend URI '" + UriQueries.redact(uri) + "': use " + String.join(", ", Scheme.allForms()),
                null));
        if (hasUserInfo(uri)) {
            // No store takes credentials from its URI: a URI ends up in shell history, process lists and logs.
            throw BackendException.config(null, "'" + UriQueries.redact(uri) + "': credentials in the URI (user-info before"
                    + " '@') are refused for every backend; give them in a file or the environment, as the backends"
                    + " documentation describes", null);
        }
        scheme.dependency().ifPresent(dependency -> requirePresent(scheme, dependency, uri));
        return scheme;
    }

    /** True when the URI's authority carries user-info ({@code scheme://user:secret@host}). */
    static boolean hasUserInfo(String uri) {
        int colon = uri.indexOf(':');
        if (!uri.startsWith("//", colon + 1)) {
            return false;
        }
        // Up to the query: a secret may hold '/' (base64 keys do), so any '@' before the query counts.
        int q = uri.indexOf('?', colon);
        return uri.substring(colon + 3, q < 0 ? uri.length() : q).contains("@");
    }

    /**
     * A URI as it may be shown in a message or a log: without user-info and without its query,
     * which may name credential files or carry what a user did not mean to show.
     *
     * @param uri any URI, valid or not
     * @return the URI with user-info replaced by {@code ...@} and the query by {@code ?...}
     */
    public static String redact(String uri) {
        return uri == null ? null : UriQueries.redact(uri);
    }

    /** The URI with its scheme in lower case, as every store's own parser expects (schemes are case-insensitive). */
    private static String normalised(Scheme scheme, String uri) {
        return scheme.scheme() + uri.substring(uri.indexOf(':'));
    }

    static void requirePresent(Scheme scheme, Scheme.OptionalDependency dependency, String uri) {
        for (String probe : dependency.probeClasses()) {
            try {
                Class.forName(probe, false, BackendUris.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                throw BackendException.config(null, "'" + UriQueries.redact(uri) + "' needs " + dependency.coordinates()
                        + " (" + probe + " is missing): Tenure keeps the " + scheme.scheme() + ": backend's dependencies"
                        + " optional, so a user of other stores does not carry them; add them to your build (on the module"
                        + " path, also require their modules or add them with --add-modules)", null);
            }
        }
    }

    /**
     * The directory a {@code file:} URI names, without opening or creating it: for a caller that
     * must not create a missing directory (the command line's {@code verify}).
     *
     * @param given a {@code file:} URI
     * @return the directory it names
     * @throws BackendException CONFIG for any other URI, or a {@code file:} URI that names no local directory
     */
    public static Path fileDirectory(String given) {
        Scheme scheme = scheme(given);
        if (scheme != Scheme.FILE) {
            throw BackendException.config(null, "'" + UriQueries.redact(given) + "' is not a file: URI", null);
        }
        return localDirectory(normalised(scheme, given));
    }

    /**
     * The directory a {@code file:} URI names. {@code file:///abs/dir} and {@code file:rel/dir} are
     * both understood, percent-escapes are decoded, and a host other than {@code localhost} is refused
     * (a {@code file:} URI names a directory on this machine).
     */
    static Path localDirectory(String uri) {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw BackendException.config(null, "'" + UriQueries.redact(uri) + "' is not a valid URI (" + e.getReason()
                    + "): percent-encode spaces and reserved characters, or write file:///absolute/dir", e);
        }
        if (parsed.getRawQuery() != null || parsed.getRawFragment() != null
                || (parsed.isOpaque() && parsed.getRawSchemeSpecificPart().contains("?"))) {
            throw BackendException.config(null, "'" + UriQueries.redact(uri) + "': a file: URI takes no query or"
                    + " fragment", null);
        }
        try {
            if (parsed.isOpaque()) {
                // file:relative/dir: relative to the working directory, as the command line has always read it.
                return Path.of(parsed.getSchemeSpecificPart());
            }
            String authority = parsed.getRawAuthority();
            if (authority != null && !authority.isEmpty() && !authority.equalsIgnoreCase("localhost")) {
                String host = parsed.getHost();
                throw BackendException.config(null, "'" + UriQueries.redact(uri) + "' names "
                        + (host == null ? "a host" : "host '" + host + "'")
                        + ": a file: URI names a directory on this machine; mount the share and name its path", null);
            }
            if (parsed.getRawPath() != null && parsed.getRawPath().toUpperCase(java.util.Locale.ROOT).contains("%2F")) {
                throw BackendException.config(null, "'" + UriQueries.redact(uri) + "': an escaped '/' (%2F) cannot be"
                        + " part of a directory name", null);
            }
            String path = parsed.getPath();
            if (path == null || path.isEmpty()) {
                throw BackendException.config(null, "'" + UriQueries.redact(uri) + "' names no directory", null);
            }
            // Through the file system provider's own reading of a file: URI (a drive letter on Windows).
            return Path.of(new URI("file", null, path, null));
        } catch (IllegalArgumentException | URISyntaxException e) {
            throw BackendException.config(null, "'" + UriQueries.redact(uri) + "' is not a path on this machine", e);
        }
    }
}
