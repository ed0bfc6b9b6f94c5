package dev.tenure.it.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.s3.S3Settings;
import dev.tenure.it.TenureProcess;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tenure verify} tells a store that enforces compare-and-swap from one that does not. */
class VerifyCommandIT {

    @TempDir
    Path dir;

    @Test
    void rgwWithTheCephProfilePassesEveryClaimedGuarantee() throws Exception {
        S3Settings rgw = S3TestServers.rgw();
        TenureProcess.Result r = TenureProcess.run(dir, "verify", "s3://" + rgw.bucket() + "/verify-it?endpoint="
                + rgw.endpoint().orElseThrow() + "&profile=ceph", "--create-rounds", "30", "--increments", "20");
        System.out.println(r.output());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().matches("(?s).*create-if-absent atomic\\s+HOLDS.*"), r.output());
        assertTrue(r.output().matches("(?s).*if-match atomic\\s+HOLDS.*"), r.output());
        assertTrue(r.output().matches("(?s).*conditional delete honoured\\s+REFUSED.*"), r.output());
        assertTrue(r.output().contains("open-time probe: a DELETE with a stale version was answered as a success"), r.output());
        assertTrue(r.output().contains("unquoted: accepted"), r.output());
    }

    @Test
    void rgwWithAProfileThatQuotesEtagsIsCaught() throws Exception {
        S3Settings rgw = S3TestServers.rgw();
        TenureProcess.Result r = TenureProcess.run(dir, "verify", "s3://" + rgw.bucket() + "/verify-it?endpoint="
                + rgw.endpoint().orElseThrow() + "&profile=generic", "--create-rounds", "5");
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().matches("(?s).*etag spelling\\s+FAILS.*"), r.output());
    }

    @Test
    void aWrongCredentialIsATypedErrorThatNeverShowsTheSecret() throws Exception {
        S3Settings rgw = S3TestServers.rgw();
        String secret = "definitely-not-the-secret-" + System.nanoTime();
        TenureProcess.Result r = TenureProcess.run(dir, Map.of("AWS_SECRET_ACCESS_KEY", secret), "verify",
                "s3://" + rgw.bucket() + "/verify-it?endpoint=" + rgw.endpoint().orElseThrow() + "&profile=ceph");
        assertEquals(2, r.exitCode(), r.output());
        assertTrue(r.output().contains("403") && r.output().contains("check the credentials"), r.output());
        assertFalse(r.output().contains(secret), r.output());
    }

    @Test
    void theLocalBackendPasses() throws Exception {
        TenureProcess.Result r = TenureProcess.run(dir, "verify", "file://" + dir.resolve("store"), "--create", "--create-rounds", "20");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().matches("(?s).*conditional delete honoured\\s+HOLDS.*"), r.output());
    }

    @Test
    void s3MockIsCaughtAsNotAtomic() throws Exception {
        try (S3MockServer s3mock = S3MockServer.start(dir)) {
            TenureProcess.Result r = TenureProcess.run(dir, Map.of("AWS_ACCESS_KEY_ID", "any", "AWS_SECRET_ACCESS_KEY", "any"),
                    "verify", "s3://" + S3MockServer.BUCKET + "/verify-it?endpoint=" + s3mock.endpoint() + "&profile=generic",
                    "--create-writers", "16", "--create-rounds", "50", "--increments", "20");
            System.out.println(r.output());
            assertEquals(1, r.exitCode(), r.output());
            assertTrue(r.output().matches("(?s).*create-if-absent honoured\\s+HOLDS.*"), "sequentially it looks right: " + r.output());
            assertTrue(r.output().matches("(?s).*create-if-absent atomic\\s+FAILS.*"), r.output());
            assertTrue(r.output().contains("verdict: FAILED"), r.output());
        }
    }
}
