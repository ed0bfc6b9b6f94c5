package dev.tenure.it.s3;

import dev.tenure.backend.s3.S3Credentials;
import dev.tenure.backend.s3.S3Profile;
import dev.tenure.backend.s3.S3Settings;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/** Where the integration tests find their S3 servers, and what they do when one is missing. */
final class S3TestServers {

    static final String RGW_BUCKET = "tenure-it";

    private S3TestServers() {
    }

    /**
     * The RGW started by {@code src-it/rgw/rgw.sh} (its {@code env} file sets the variables). Missing
     * in CI is a failure; missing elsewhere skips with the reason printed.
     */
    static S3Settings rgw() {
        rgwUnavailableReason().ifPresent(why -> {
            System.out.println("[skip] " + why);
            Assumptions.abort(why);
        });
        String endpoint = System.getenv("TENURE_S3_ENDPOINT");
        String access = System.getenv("AWS_ACCESS_KEY_ID");
        String secret = System.getenv("AWS_SECRET_ACCESS_KEY");
        S3Settings settings = S3Settings.builder(RGW_BUCKET)
                .endpoint(URI.create(endpoint))
                .region("us-east-1")
                .profile(S3Profile.CEPH)
                .credentials(S3Credentials.of(access, secret))
                .build();
        createBucket(settings, access, secret);
        return settings;
    }

    /** Why RGW cannot be tested here; in CI its absence is a failure, never a skip. */
    static Optional<String> rgwUnavailableReason() {
        if (System.getenv("TENURE_S3_ENDPOINT") != null && System.getenv("AWS_ACCESS_KEY_ID") != null
                && System.getenv("AWS_SECRET_ACCESS_KEY") != null) {
            return Optional.empty();
        }
        String why = "no Ceph RGW to test against: TENURE_S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are"
                + " not all set (run: src-it/rgw/rgw.sh install && src-it/rgw/rgw.sh start /tmp/rgw && . /tmp/rgw/env)";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must run the RGW suite, but " + why);
        }
        return Optional.of(why);
    }

    static void createBucket(S3Settings settings, String access, String secret) {
        try (S3Client admin = S3Client.builder()
                .endpointOverride(settings.endpoint().orElseThrow())
                .region(Region.of(settings.region()))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(access, secret)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build()) {
            admin.createBucket(b -> b.bucket(settings.bucket()));
        } catch (BucketAlreadyOwnedByYouException alreadyThere) {
            // Fine: an earlier test made it.
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (!"BucketAlreadyExists".equals(e.awsErrorDetails().errorCode())) {
                throw e;
            }
        }
    }
}
