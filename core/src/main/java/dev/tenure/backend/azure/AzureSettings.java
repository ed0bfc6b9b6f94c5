package dev.tenure.backend.azure;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Keys;
import dev.tenure.backend.internal.UriQueries;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where an {@link AzureBlobBackend} keeps its objects and how it reaches them.
 *
 * @param account the storage account (3 to 24 lower-case letters and digits)
 * @param container the container (3 to 63 lower-case letters, digits and single hyphens)
 * @param prefix every key is stored under this prefix; empty or ending with {@code /}
 * @param endpoint the account's blob endpoint, without a trailing {@code /}:
 *     {@code https://ACCOUNT.blob.core.windows.net}, or a path-style one such as Azurite's
 *     {@code http://127.0.0.1:10000/devstoreaccount1}
 * @param credential how requests are authorised; never shown
 * @param connectTimeout how long to wait for a connection
 * @param requestTimeout how long one request may take until its answer's headers
 * @param listPageSize how many names one List Blobs page asks for (1 to 5,000)
 */
public record AzureSettings(String account, String container, String prefix, URI endpoint, AzureCredential credential,
        Duration connectTimeout, Duration requestTimeout, int listPageSize) {

    /** The URI parameters understood; anything else is refused, credentials above all. */
    private static final Set<String> URI_PARAMETERS = Set.of("endpoint", "credentialsFile", "connectTimeoutMs",
            "requestTimeoutMs", "listPageSize");
    private static final Pattern ACCOUNT = Pattern.compile("[a-z0-9]{3,24}");
    private static final Pattern CONTAINER = Pattern.compile("[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]");
    static final String FORM = "az://account/container/prefix?endpoint=...&credentialsFile=...";

    /** Validates; errors are CONFIG and never show the credential. */
    public AzureSettings {
        Objects.requireNonNull(credential, "credential");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (account == null || !ACCOUNT.matcher(account).matches()) {
            throw invalid("account '" + account + "' must be 3 to 24 lower-case letters and digits");
        }
        if (container == null || !CONTAINER.matcher(container).matches()) {
            throw invalid("container '" + container + "' must be 3 to 63 lower-case letters, digits and single hyphens,"
                    + " starting and ending with a letter or digit");
        }
        prefix = prefix == null ? "" : prefix;
        if (!prefix.isEmpty()) {
            if (!prefix.endsWith("/")) {
                prefix = prefix + "/";
            }
            Keys.requireValidPrefix(prefix);
        }
        if (endpoint == null || endpoint.getScheme() == null
                || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https")) || endpoint.getHost() == null
                || endpoint.getRawUserInfo() != null || endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
            throw invalid("endpoint must be an http:// or https:// URL with a host and without credentials, query or fragment");
        }
        String path = endpoint.getRawPath() == null ? "" : endpoint.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        endpoint = URI.create(endpoint.getScheme() + "://" + endpoint.getRawAuthority() + path);
        if (credential instanceof AzureCredential.SharedKey k && !k.account().equals(account)) {
            throw invalid("the account key found belongs to account '" + k.account() + "', not to '" + account + "'");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw invalid("timeouts must be positive (connect " + connectTimeout + ", request " + requestTimeout + ")");
        }
        if (listPageSize < 1 || listPageSize > 5000) {
            throw invalid("listPageSize must be between 1 and 5000, not " + listPageSize);
        }
    }

    /** Azure's public endpoint for {@code account}. */
    public static URI defaultEndpoint(String account) {
        return URI.create("https://" + account + ".blob.core.windows.net");
    }

    /**
     * Parses {@code az://account/container[/prefix][?endpoint=...&credentialsFile=...]}, reading
     * credentials from the environment; see {@link #fromUri(String, Map)}.
     */
    public static AzureSettings fromUri(String uri) {
        return fromUri(uri, System.getenv());
    }

    /**
     * Parses an {@code az://} URI:
     * <ul>
     *   <li>{@code az://account/container/prefix}: the container of the account, keys under the prefix;</li>
     *   <li>{@code endpoint=http://127.0.0.1:10000/devstoreaccount1}: another blob endpoint (Azurite,
     *       path-style); otherwise the connection string's {@code BlobEndpoint}, otherwise
     *       {@code https://ACCOUNT.blob.core.windows.net};</li>
     *   <li>{@code credentialsFile=/path}: a file holding a connection string; otherwise the environment
     *       ({@link CredentialSources#find});</li>
     *   <li>{@code connectTimeoutMs} (5,000), {@code requestTimeoutMs} (30,000), {@code listPageSize} (5,000).</li>
     * </ul>
     *
     * @throws BackendException CONFIG naming what is wrong; a credential in the URI is refused unseen
     */
    public static AzureSettings fromUri(String uri, Map<String, String> env) {
        URI parsed;
        try {
            parsed = new URI(Objects.requireNonNull(uri, "uri"));
        } catch (URISyntaxException e) {
            throw invalid("not a URI: " + UriQueries.redact(uri) + "; expected " + FORM);
        }
        if (!"az".equals(parsed.getScheme()) || parsed.getRawAuthority() == null) {
            throw invalid("expected " + FORM + ", got '" + UriQueries.redact(uri) + "'");
        }
        if (parsed.getRawUserInfo() != null || parsed.getRawAuthority().contains("@")) {
            throw invalid("credentials in the URI are refused: use a credentialsFile or the environment");
        }
        if (parsed.getRawQuery() != null && ("&" + parsed.getRawQuery().toLowerCase(java.util.Locale.ROOT)).contains("&sig=")) {
            // A SAS token's parameters (sv, se, sp, sig) do not look like credentials by name: refuse by its signature.
            throw invalid("a SAS token in the URI is refused (credentials are never taken from a URI: use a credentialsFile"
                    + " or " + AzureCredential.SAS_ENV + ")");
        }
        UriQueries query = UriQueries.parse("az", parsed.getRawQuery(), URI_PARAMETERS);
        String account = parsed.getRawAuthority();
        String path = parsed.getPath() == null ? "" : parsed.getPath();
        if (path.startsWith("/")) {
            path = path.substring(1);
        }
        int slash = path.indexOf('/');
        String container = slash < 0 ? path : path.substring(0, slash);
        String prefix = slash < 0 ? "" : path.substring(slash + 1);
        if (container.isEmpty()) {
            throw invalid("no container in '" + UriQueries.redact(uri) + "'; expected " + FORM);
        }
        CredentialSources.Found found = CredentialSources.find(
                Optional.ofNullable(query.get("credentialsFile")).map(Path::of), env, account);
        if (found.account().isPresent() && !found.account().get().equals(account)) {
            throw invalid("the credentials found are for account '" + found.account().get() + "', the URI names '" + account + "'");
        }
        URI endpoint;
        if (query.has("endpoint")) {
            try {
                endpoint = new URI(query.get("endpoint"));
            } catch (URISyntaxException e) {
                throw invalid("endpoint is not a URL");
            }
        } else {
            endpoint = found.blobEndpoint().orElseGet(() -> defaultEndpoint(account));
        }
        return new AzureSettings(account, container, prefix, endpoint, found.credential(),
                query.millis("connectTimeoutMs", Duration.ofSeconds(5)), query.millis("requestTimeoutMs", Duration.ofSeconds(30)),
                query.integer("listPageSize", 5000));
    }

    private static BackendException invalid(String message) {
        return BackendException.config(null, "invalid Azure Blob settings: " + message, null);
    }

    @Override
    public String toString() {
        return "AzureSettings[az://" + account + "/" + container + "/" + prefix + " at " + endpoint + ", " + credential + "]";
    }
}
