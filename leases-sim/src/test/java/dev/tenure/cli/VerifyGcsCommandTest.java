package dev.tenure.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code tenure verify gs://...} end to end, against {@link FakeGcsXmlServer} (a stand-in written
 * from GCS's XML API documentation; no GCS server can run here). What this proves is that the
 * command, the URI, the open-time probe and the checks drive GCS's generation preconditions
 * through; whether a real bucket holds is for {@code tenure verify} against it to say.
 */
class VerifyGcsCommandTest {

    private FakeGcsXmlServer gcs;

    @BeforeEach
    void start() throws Exception {
        gcs = new FakeGcsXmlServer();
        // The AWS default chain reads these system properties before the environment: the HMAC key.
        System.setProperty("aws.accessKeyId", "GOOGTS7C7FUP3AIRVJTE2BCD");
        System.setProperty("aws.secretAccessKey", "hmac-secret-never-shown");
    }

    @AfterEach
    void stop() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        gcs.close();
    }

    @Test
    void verifyOnAGsUriChecksGenerationPreconditionsAndEnablesConditionalDeleteByTheProbe() {
        CliRun r = CliRun.of("verify", "gs://tenure-test/verify?endpoint=" + gcs.endpoint(),
                "--create-writers", "8", "--create-rounds", "10", "--increment-writers", "4", "--increments", "10");
        String out = r.out() + r.err();
        assertEquals(0, r.status(), out);
        assertTrue(out.contains("tenure verify: gs://tenure-test/verify/ (gcs at " + gcs.endpoint() + ")"), out);
        assertTrue(out.matches("(?s).*create-if-absent honoured\\s+HOLDS.*"), out);
        assertTrue(out.matches("(?s).*stale if-match refused\\s+HOLDS.*"), out);
        assertTrue(out.matches("(?s).*new version per write\\s+HOLDS.*"), "generations are new per write, and claimed: " + out);
        assertTrue(out.matches("(?s).*conditional delete honoured\\s+HOLDS.*enabled by the open-time probe.*"), out);
        assertTrue(out.matches("(?s).*create-if-absent atomic\\s+HOLDS.*"), out);
        assertTrue(out.matches("(?s).*if-match atomic\\s+HOLDS.*"), out);
        assertFalse(out.contains("etag spelling"), "no ETag spelling on GCS: " + out);
        assertFalse(out.contains("hmac-secret-never-shown"), out);
    }
}
