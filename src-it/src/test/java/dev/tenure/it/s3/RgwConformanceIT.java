package dev.tenure.it.s3;

import dev.tenure.backend.conformance.AtomicRemoteBackendContract;
import dev.tenure.backend.s3.S3Backend;
import java.util.Optional;

/**
 * The whole conformance suite, contention races included, against a real Ceph RADOS Gateway: the
 * S3 server here that truly enforces conditional writes under contention.
 */
class RgwConformanceIT extends AtomicRemoteBackendContract<S3Backend> {

    @Override
    protected Optional<String> unavailableReason() {
        return S3TestServers.rgwUnavailableReason();
    }

    @Override
    protected S3Backend newBackend() {
        return S3Backend.open(S3TestServers.rgw());
    }

    /** RGW's ETag is the MD5 of the content. */
    @Override
    protected boolean versionsUniquePerWrite() {
        return false;
    }

    /** RGW 16 deletes regardless of a stale If-Match, so the ceph profile refuses conditional deletes. */
    @Override
    protected boolean enforcesConditionalDelete() {
        return false;
    }
}
