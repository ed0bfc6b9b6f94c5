package dev.tenure.it.s3;

import dev.tenure.backend.s3.S3Backend;
import dev.tenure.backend.s3.S3Credentials;
import dev.tenure.backend.s3.S3Profile;
import dev.tenure.backend.s3.S3Settings;
import java.net.URI;
import java.util.Optional;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.MinIOContainer;

/**
 * The whole conformance suite against MinIO in a container, where a Docker engine exists. Where
 * none does (this project's own machines), every test is skipped with the reason printed.
 */
class MinioConformanceIT extends S3ConformanceContract {

    /** One container for the whole run; Testcontainers' Ryuk removes it when the JVM ends. */
    private static final class Shared {
        static final MinIOContainer MINIO = start();

        private static MinIOContainer start() {
            MinIOContainer minio = new MinIOContainer("minio/minio:RELEASE.2025-09-07T16-13-09Z");
            minio.start();
            return minio;
        }
    }

    @Override
    protected Optional<String> unavailableReason() {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        return docker ? Optional.empty() : Optional.of("no Docker engine here, so MinIO (Testcontainers) cannot run;"
                + " this suite runs wherever Docker is available");
    }

    @Override
    protected S3Backend newBackend() {
        MinIOContainer minio = Shared.MINIO;
        S3Settings settings = S3Settings.builder(S3TestServers.RGW_BUCKET)
                .endpoint(URI.create(minio.getS3URL()))
                .profile(S3Profile.MINIO)
                .credentials(S3Credentials.of(minio.getUserName(), minio.getPassword()))
                .build();
        S3TestServers.createBucket(settings, minio.getUserName(), minio.getPassword());
        return S3Backend.open(settings);
    }
}
