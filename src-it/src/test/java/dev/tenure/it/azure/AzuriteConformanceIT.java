package dev.tenure.it.azure;

import dev.tenure.backend.azure.AzureBlobBackend;
import dev.tenure.backend.conformance.AtomicRemoteBackendContract;
import java.util.Optional;

/**
 * The whole conformance suite, contention races included, against a real Azurite 3.37.0 (blob
 * service, disk persistence), authorised by Shared Key. Listing asks for pages of 500 names, so
 * the pagination test walks three pages of NextMarker.
 */
class AzuriteConformanceIT extends AtomicRemoteBackendContract<AzureBlobBackend> {

    @Override
    protected Optional<String> unavailableReason() {
        return AzuriteServer.unavailableReason();
    }

    @Override
    protected AzureBlobBackend newBackend() {
        return AzureBlobBackend.open(AzuriteServer.uri("conformance", "&listPageSize=500"));
    }
}
