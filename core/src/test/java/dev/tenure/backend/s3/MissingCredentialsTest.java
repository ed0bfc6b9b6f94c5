package dev.tenure.backend.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.profiles.ProfileFile;

/**
 * No S3 credentials anywhere is a configuration error found before any request leaves, never a
 * transport failure that "may have been applied". No network: the endpoint is a closed local port,
 * so a request that did leave would come back as "cannot connect" (TRANSPORT), not CONFIG.
 */
class MissingCredentialsTest {

    private String savedKeyId;
    private String savedSecret;

    @BeforeEach
    void clearSystemProperties() {
        savedKeyId = System.clearProperty("aws.accessKeyId");
        savedSecret = System.clearProperty("aws.secretAccessKey");
    }

    @AfterEach
    void restoreSystemProperties() {
        if (savedKeyId != null) {
            System.setProperty("aws.accessKeyId", savedKeyId);
        }
        if (savedSecret != null) {
            System.setProperty("aws.secretAccessKey", savedSecret);
        }
    }

    /**
     * The default chain's sources a test can empty: system properties and a profile file with
     * nothing in it. The environment is left out of the chain (a test cannot clear it), and so are
     * the container and instance-metadata sources (they would reach for the network).
     */
    private static AwsCredentialsProvider nothingToFind() {
        ProfileFile empty = ProfileFile.builder().content(new ByteArrayInputStream(new byte[0]))
                .type(ProfileFile.Type.CREDENTIALS).build();
        return AwsCredentialsProviderChain.of(SystemPropertyCredentialsProvider.create(),
                ProfileCredentialsProvider.builder().profileFile(empty).profileName("default").build());
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static S3Settings settings(int port) {
        return S3Settings.fromUri("s3://tenure-test/p/?endpoint=http://127.0.0.1:" + port + "&region=us-east-1&profile=ceph");
    }

    @Test
    void openingWithoutCredentialsIsAConfigErrorBeforeAnyRequest() throws Exception {
        BackendException e = assertThrows(BackendException.class, () -> S3Backend.open(settings(closedPort()), nothingToFind()));
        assertEquals(BackendException.Kind.CONFIG, e.kind(), e.toString());
        assertFalse(e.ambiguous());
        assertTrue(e.getMessage().contains("no S3 credentials") && e.getMessage().contains("AWS_ACCESS_KEY_ID"), e.getMessage());
        assertFalse(e.getMessage().contains("may have been applied"), e.getMessage());
    }

    /** Credentials that go missing after open (a rotated profile, an expired role) are CONFIG on a write too, not ambiguous. */
    @Test
    void aWriteWithoutCredentialsIsConfigNotAmbiguous() throws Exception {
        S3Settings settings = settings(closedPort());
        try (S3Backend backend = new S3Backend(settings, S3Backend.client(settings, Apache5HttpClient.builder().build(), nothingToFind()))) {
            BackendException e = assertThrows(BackendException.class,
                    () -> backend.put("k", new byte[] {1}, ConditionalPut.ifAbsent()));
            assertEquals(BackendException.Kind.CONFIG, e.kind(), e.toString());
            assertFalse(e.ambiguous(), e.toString());
        }
    }
}
