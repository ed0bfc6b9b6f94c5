package dev.tenure.backend.azure;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Secret;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How requests to Blob Storage are authorised: a Shared Key (the account key, which signs each
 * request) or a SAS token (appended to each request's query). Neither ever shows in
 * {@code toString()} or in a message.
 */
public sealed interface AzureCredential {

    /** The environment variable holding a connection string (the first place looked). */
    String CONNECTION_STRING_ENV = "AZURE_STORAGE_CONNECTION_STRING";
    /** The environment variable naming the account, with {@link #KEY_ENV}. */
    String ACCOUNT_ENV = "AZURE_STORAGE_ACCOUNT";
    /** The environment variable holding the base64 account key, with {@link #ACCOUNT_ENV}. */
    String KEY_ENV = "AZURE_STORAGE_KEY";
    /** The environment variable holding a SAS token (the last place looked). */
    String SAS_ENV = "AZURE_STORAGE_SAS_TOKEN";

    /**
     * Shared Key authorisation: every request is signed with HMAC-SHA256 under the account key.
     *
     * @param account the storage account the key belongs to
     * @param key the base64 account key
     */
    record SharedKey(String account, Secret key) implements AzureCredential {
        /** Checks that the key is base64, so a pasted typo fails here and not as a 403 later. */
        public SharedKey {
            Objects.requireNonNull(account, "account");
            Objects.requireNonNull(key, "key");
            try {
                Base64.getDecoder().decode(key.reveal());
            } catch (IllegalArgumentException e) {
                throw BackendException.config(null, "the Azure account key for '" + account + "' (" + key
                        + ") is not base64; copy it again from the storage account's access keys", null);
            }
        }

        @Override
        public String toString() {
            return "SharedKey[" + account + ", " + key + "]";
        }
    }

    /**
     * SAS authorisation: the token's parameters are added to every request's query.
     *
     * @param token the token, without a leading {@code ?}
     */
    record Sas(Secret token) implements AzureCredential {
        /** Checks that the token looks like a SAS (it carries a signature). */
        public Sas {
            Objects.requireNonNull(token, "token");
            if (!("&" + token.reveal()).contains("&sig=")) {
                throw BackendException.config(null, "the Azure SAS token (" + token + ") has no sig= parameter;"
                        + " give the query part of a SAS URL", null);
            }
        }

        @Override
        public String toString() {
            return "Sas[" + token + "]";
        }
    }

    /**
     * What was found: a credential and, from a connection string, the account and blob endpoint
     * it names.
     */
    record Found(AzureCredential credential, Optional<String> account, Optional<URI> blobEndpoint) {
    }

    /**
     * Finds the credential: the connection string in {@code credentialsFile} when given; else
     * {@value #CONNECTION_STRING_ENV}; else {@value #ACCOUNT_ENV} with {@value #KEY_ENV}; else
     * {@value #SAS_ENV}.
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
            return new Found(new SharedKey(account, Secret.of(env.get(KEY_ENV).strip())), Optional.of(account), Optional.empty());
        }
        if (present(env.get(SAS_ENV))) {
            return new Found(new Sas(sasToken(env.get(SAS_ENV))), Optional.empty(), Optional.empty());
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
            return new Found(new SharedKey(account.get(), Secret.of(parts.get("AccountKey"))), account, endpoint);
        }
        if (present(parts.get("SharedAccessSignature"))) {
            return new Found(new Sas(sasToken(parts.get("SharedAccessSignature"))), account, endpoint);
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
