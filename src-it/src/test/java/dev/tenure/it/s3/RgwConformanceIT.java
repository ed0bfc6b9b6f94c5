package dev.tenure.it.s3;

import dev.tenure.backend.s3.S3Backend;
import java.util.Optional;

/**
 * The whole conformance suite, contention races included, against a real Ceph RADOS Gateway: the
 * S3 server here that truly enforces conditional writes under contention.
 */
class RgwConformanceIT extends S3ConformanceContract {

    @Override
    protected Optional<String> unavailableReason() {
        return S3TestServers.rgwUnavailableReason();
    }

    @Override
    protected S3Backend newBackend() {
        return S3Backend.open(S3TestServers.rgw());
    }
}
