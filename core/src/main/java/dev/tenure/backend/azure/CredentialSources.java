package dev.tenure.backend.azure;

import static dev.tenure.backend.azure.AzureCredential.ACCOUNT_ENV;
import static dev.tenure.backend.azure.AzureCredential.CONNECTION_STRING_ENV;
import static dev.tenure.backend.azure.AzureCredential.KEY_ENV;
import static dev.tenure.backend.azure.AzureCredential.SAS_ENV;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Secret;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Where an {@link AzureCredential} comes from: a credentials file, a connection string, the environment. */
final class CredentialSources {

    private CredentialSources() {
    }

    /**
     * What was found: a credential and, from a connection string, the account and blob endpoint
     * it names.
     */
    record Found(AzureCredential credential, Optional<String> account, Optional<URI> blobEndpoint) {
    }

    /**
     * Finds the credential: the connection string in {@code credentialsFile} when given; else
     * {@value AzureCredential#CONNECTION_STRING_ENV}; else {@value AzureCredential#ACCOUNT_ENV} with
     * {@value AzureCredential#KEY_ENV}; else {@value AzureCredential#SAS_ENV}.
     *
     * @throws BackendException CONFIG when none is found or one is malformed; never repeats a secret
     */
    static Found find(Optional<Path> credentialsFile, Map<String, String> env, String uriAccount) {
        if (credentialsFile.isPresent()) {
            Path file = credentialsFile.get();
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8).strip();
            } catch (java.io.IOException | RuntimeException e) {
                throw BackendException.config(null, "cannot read the Azure credentials file " + file + ": "
                        + e.getClass().getSimpleName(), null);
            }
            return connectionString(text, "the credentials file " + file);
        }
        String connection = env.get(CONNECTION_STRING_ENV);
        if (present(connection)) {
            return connectionString(connection.strip(), CONNECTION_STRING_ENV);
        }
        if (present(env.get(KEY_ENV))) {
            String account = present(env.get(ACCOUNT_ENV)) ? env.get(ACCOUNT_ENV).strip() : uriAccount;
            AzureCredential key = new AzureCredential.SharedKey(account, Secret.of(env.get(KEY_ENV).strip()));
            return new Found(key, Optional.of(account), Optional.empty());
        }
        if (present(env.get(SAS_ENV))) {
            return new Found(new AzureCredential.Sas(sasToken(env.get(SAS_ENV))), Optional.empty(), Optional.empty());
        }
        throw BackendException.config(null, "no Azure credentials: set " + CONNECTION_STRING_ENV + ", or " + ACCOUNT_ENV
                + " and " + KEY_ENV + ", or " + SAS_ENV + ", or give credentialsFile=/path (a file holding a connection"
                + " string); credentials are never taken from the URI", null);
    }

    /**
     * Reads an Azure connection string ({@code Name=value;...}): {@code AccountName} with
     * {@code AccountKey}, or {@code SharedAccessSignature}; {@code BlobEndpoint}, or
     * {@code DefaultEndpointsProtocol} and {@code EndpointSuffix}, say where the account lives.
     */
    static Found connectionString(String text, String origin) {
        Map<String, String> parts = new LinkedHashMap<>();
        for (String part : text.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw BackendException.config(null, "the Azure connection string in " + origin
                        + " is not a list of Name=value pairs separated by ';'", null);
            }
            parts.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
        }
        Optional<String> account = Optional.ofNullable(parts.get("AccountName"));
        Optional<URI> endpoint = Optional.empty();
        if (parts.containsKey("BlobEndpoint")) {
            endpoint = Optional.of(endpointUri(parts.get("BlobEndpoint"), origin));
        } else if (account.isPresent() && parts.containsKey("EndpointSuffix")) {
            String protocol = parts.getOrDefault("DefaultEndpointsProtocol", "https");
            endpoint = Optional.of(endpointUri(protocol + "://" + account.get() + ".blob." + parts.get("EndpointSuffix"), origin));
        }
        if (present(parts.get("AccountKey"))) {
            if (account.isEmpty()) {
                throw BackendException.config(null, "the Azure connection string in " + origin
                        + " has an AccountKey but no AccountName", null);
            }
            return new Found(new AzureCredential.SharedKey(account.get(), Secret.of(parts.get("AccountKey"))), account, endpoint);
        }
        if (present(parts.get("SharedAccessSignature"))) {
            return new Found(new AzureCredential.Sas(sasToken(parts.get("SharedAccessSignature"))), account, endpoint);
        }
        throw BackendException.config(null, "the Azure connection string in " + origin
                + " has neither AccountKey nor SharedAccessSignature", null);
    }

    private static Secret sasToken(String value) {
        String token = value.strip();
        return Secret.of(token.startsWith("?") ? token.substring(1) : token);
    }

    private static URI endpointUri(String value, String origin) {
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new URISyntaxException(value, "no scheme or host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw BackendException.config(null, "the blob endpoint in " + origin + " is not a URL", null);
        }
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }
}
