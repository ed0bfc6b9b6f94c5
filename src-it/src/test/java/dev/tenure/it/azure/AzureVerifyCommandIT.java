package dev.tenure.it.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.it.TenureProcess;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tenure verify az://...} against Azurite: the way a user proves their own container. */
class AzureVerifyCommandIT {

    @TempDir
    Path dir;

    @BeforeEach
    void needsAzurite() {
        AzuriteServer.unavailableReason().ifPresent(why -> {
            System.out.println("[skip] " + getClass().getSimpleName() + ": " + why);
            org.junit.jupiter.api.Assumptions.abort(why);
        });
    }

    @Test
    void azuriteWithSharedKeyPassesEveryGuaranteeConditionalDeleteIncluded() throws Exception {
        TenureProcess.Result r = TenureProcess.run(dir, "verify", AzuriteServer.uri("verify-it", ""),
                "--create-rounds", "30", "--increments", "20");
        System.out.println(r.output());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().matches("(?s).*create-if-absent atomic\\s+HOLDS.*"), r.output());
        assertTrue(r.output().matches("(?s).*if-match atomic\\s+HOLDS.*"), r.output());
        assertTrue(r.output().matches("(?s).*conditional delete honoured\\s+HOLDS.*"), r.output());
    }

    @Test
    void azuriteWithAnAccountSasFromACredentialsFilePassesToo() throws Exception {
        TenureProcess.Result r = TenureProcess.run(dir, "verify", "az://devstoreaccount1/" + AzuriteServer.container()
                + "/verify-sas?credentialsFile=" + AzuriteServer.sasFile(), "--create-rounds", "20", "--increments", "10");
        System.out.println(r.output());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("verdict: every guarantee this configuration claims holds"), r.output());
        assertFalse(r.output().contains("sig="), r.output());
    }

    @Test
    void aWrongKeyIsATypedErrorThatNeverShowsTheKey() throws Exception {
        byte[] raw = new byte[64];
        raw[0] = (byte) System.nanoTime();
        String wrongKey = Base64.getEncoder().encodeToString(raw);
        TenureProcess.Result r = TenureProcess.run(dir, Map.of("AZURE_STORAGE_CONNECTION_STRING",
                "AccountName=devstoreaccount1;AccountKey=" + wrongKey), "verify", AzuriteServer.uri("verify-it", ""));
        assertEquals(2, r.exitCode(), r.output());
        assertTrue(r.output().contains("HTTP 403") && r.output().contains("check the credentials"), r.output());
        assertFalse(r.output().contains(wrongKey), r.output());
    }
}
