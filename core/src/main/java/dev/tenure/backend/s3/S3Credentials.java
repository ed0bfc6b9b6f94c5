package dev.tenure.backend.s3;

import java.util.Objects;
import java.util.Optional;

/** Where the S3 backend takes its credentials from. Secrets never appear in {@code toString()}. */
public sealed interface S3Credentials {

    /** The AWS SDK's default chain: environment, system properties, profile files, container and instance roles. */
    static S3Credentials defaultChain() {
        return DefaultChain.INSTANCE;
    }

    /** Fixed keys. */
    static S3Credentials of(String accessKeyId, String secretAccessKey) {
        return new Static(accessKeyId, secretAccessKey, null);
    }

    /** Fixed temporary keys with a session token. */
    static S3Credentials of(String accessKeyId, String secretAccessKey, String sessionToken) {
        return new Static(accessKeyId, secretAccessKey, sessionToken);
    }

    /** The SDK's default provider chain. */
    enum DefaultChain implements S3Credentials {
        /** The single instance. */
        INSTANCE;

        @Override
        public String toString() {
            return "default credential chain";
        }
    }

    /**
     * Fixed credentials.
     *
     * @param accessKeyId the access key id (shown in part in {@code toString()})
     * @param secretAccessKey the secret key (never shown)
     * @param sessionToken an optional session token (never shown)
     */
    record Static(String accessKeyId, String secretAccessKey, String sessionToken) implements S3Credentials {
        /** Requires the key id and the secret. */
        public Static {
            Objects.requireNonNull(accessKeyId, "accessKeyId");
            Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        }

        /** The session token, when these are temporary credentials. */
        public Optional<String> session() {
            return Optional.ofNullable(sessionToken);
        }

        @Override
        public String toString() {
            String shown = accessKeyId.length() > 4 ? accessKeyId.substring(0, 4) + "..." : "...";
            return "static credentials (access key " + shown + ", secret hidden" + (sessionToken != null ? ", session token hidden" : "") + ")";
        }
    }
}
