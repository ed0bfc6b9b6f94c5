package dev.tenure.backend.azure;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.Secret;
import java.util.Base64;
import java.util.Objects;

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
}
