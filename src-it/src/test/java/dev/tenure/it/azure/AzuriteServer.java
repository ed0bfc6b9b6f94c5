package dev.tenure.it.azure;

import java.util.Optional;

/** Where the integration tests find Azurite (started by {@code src-it/azurite/azurite.sh}), and what they do without it. */
final class AzuriteServer {

    private AzuriteServer() {
    }

    /** The blob endpoint, path-style: {@code http://127.0.0.1:10000/devstoreaccount1}. */
    static String endpoint() {
        return System.getenv("TENURE_AZURE_ENDPOINT");
    }

    /** The container {@code azurite.sh} made. */
    static String container() {
        return System.getenv("TENURE_AZURE_CONTAINER");
    }

    /** A file holding a connection string with an account SAS instead of the key. */
    static String sasFile() {
        return System.getenv("TENURE_AZURE_SAS_FILE");
    }

    /** An {@code az://} URI under {@code prefix}, with the Shared Key from the environment's connection string. */
    static String uri(String prefix, String extra) {
        return "az://devstoreaccount1/" + container() + "/" + prefix + "?endpoint=" + endpoint() + extra;
    }

    /** Why Azurite cannot be tested here; in CI its absence is a failure, never a skip. */
    static Optional<String> unavailableReason() {
        if (endpoint() != null && container() != null && sasFile() != null
                && System.getenv("AZURE_STORAGE_CONNECTION_STRING") != null) {
            return Optional.empty();
        }
        String why = "no Azurite to test against: TENURE_AZURE_ENDPOINT, TENURE_AZURE_CONTAINER, TENURE_AZURE_SAS_FILE and"
                + " AZURE_STORAGE_CONNECTION_STRING are not all set (run: src-it/azurite/azurite.sh install &&"
                + " src-it/azurite/azurite.sh start /tmp/azurite && . /tmp/azurite/env)";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must run the Azurite suite, but " + why);
        }
        return Optional.of(why);
    }
}
