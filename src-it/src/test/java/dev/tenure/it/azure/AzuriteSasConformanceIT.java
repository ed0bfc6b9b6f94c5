package dev.tenure.it.azure;

import dev.tenure.backend.azure.AzureBlobBackend;
import dev.tenure.backend.conformance.AtomicRemoteBackendContract;
import java.util.Optional;

/**
 * The whole conformance suite again against Azurite, authorised by an account SAS read from a
 * credentials file instead of the account key, with pages of 5,000 names (Azure's default).
 */
class AzuriteSasConformanceIT extends AtomicRemoteBackendContract<AzureBlobBackend> {

    @Override
    protected Optional<String> unavailableReason() {
        return AzuriteServer.unavailableReason();
    }

    @Override
    protected AzureBlobBackend newBackend() {
        return AzureBlobBackend.open("az://devstoreaccount1/" + AzuriteServer.container() + "/sas-conformance?credentialsFile="
                + AzuriteServer.sasFile());
    }
}
