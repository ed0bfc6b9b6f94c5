package dev.tenure.it.s3;

import dev.tenure.backend.conformance.AtomicRemoteBackendContract;
import dev.tenure.backend.s3.S3Backend;

/** The conformance suite as every S3 store here runs it: what S3 itself cannot promise, stated once. */
abstract class S3ConformanceContract extends AtomicRemoteBackendContract<S3Backend> {

    /** ETags are content digests (MD5 for single-part objects): equal bytes, equal ETag. */
    @Override
    protected boolean versionsUniquePerWrite() {
        return false;
    }

    /**
     * RGW 16 and MinIO delete regardless of a stale If-Match, so the open-time probe leaves
     * conditional deletes refused there ({@code RgwConditionalDeleteProbeIT} proves it on RGW).
     */
    @Override
    protected boolean enforcesConditionalDelete() {
        return false;
    }
}
