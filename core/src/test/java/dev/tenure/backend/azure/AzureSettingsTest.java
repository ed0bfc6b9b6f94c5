package dev.tenure.backend.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.uri.BackendUris;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AzureSettingsTest {

    static final String KEY = AzureBlobBackendRecordedTest.DEV_KEY;
    static final String AZURITE = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + KEY
            + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";

    @TempDir
    Path dir;

    @Test
    void aConnectionStringGivesKeyAndEndpoint() {
        AzureSettings s = AzureSettings.fromUri("az://devstoreaccount1/tenure-it/leases", Map.of("AZURE_STORAGE_CONNECTION_STRING", AZURITE));
        assertEquals(URI.create("http://127.0.0.1:10000/devstoreaccount1"), s.endpoint());
        assertEquals("leases/", s.prefix());
        assertEquals("tenure-it", s.container());
        assertInstanceOf(AzureCredential.SharedKey.class, s.credential());
        assertFalse(s.toString().contains(KEY.substring(0, 12)), s.toString());
    }

    @Test
    void accountAndKeyFromTheEnvironmentUseAzuresPublicEndpointUnlessOneIsGiven() {
        Map<String, String> env = Map.of("AZURE_STORAGE_ACCOUNT", "myaccount", "AZURE_STORAGE_KEY", KEY);
        assertEquals(URI.create("https://myaccount.blob.core.windows.net"), AzureSettings.fromUri("az://myaccount/c1c", env).endpoint());
        assertEquals(URI.create("http://127.0.0.1:10000/myaccount"),
                AzureSettings.fromUri("az://myaccount/c1c/p?endpoint=http://127.0.0.1:10000/myaccount/", env).endpoint());
    }

    @Test
    void aSasTokenFromTheEnvironmentOrAFileIsUsed() throws Exception {
        AzureSettings env = AzureSettings.fromUri("az://acct1/box", Map.of("AZURE_STORAGE_SAS_TOKEN", "?sv=2022-11-02&sig=abc%3D"));
        assertEquals("sv=2022-11-02&sig=abc%3D", ((AzureCredential.Sas) env.credential()).token().reveal());
        Path file = Files.writeString(dir.resolve("azure"), "BlobEndpoint=http://127.0.0.1:10000/acct1;SharedAccessSignature=sv=1&sig=x\n");
        AzureSettings fromFile = AzureSettings.fromUri("az://acct1/box?credentialsFile=" + file, Map.of("AZURE_STORAGE_CONNECTION_STRING", AZURITE));
        assertInstanceOf(AzureCredential.Sas.class, fromFile.credential(), "the file comes before the environment");
        assertEquals(URI.create("http://127.0.0.1:10000/acct1"), fromFile.endpoint());
    }

    @Test
    void credentialsInTheUriAreRefusedUnseen() {
        BackendException e = assertThrows(BackendException.class,
                () -> AzureSettings.fromUri("az://acct1/box?sig=topsecret", Map.of("AZURE_STORAGE_SAS_TOKEN", "sig=x")));
        assertEquals(BackendException.Kind.CONFIG, e.kind());
        assertTrue(e.getMessage().contains("never taken from a URI"), e.getMessage());
        assertFalse(e.getMessage().contains("topsecret"), e.getMessage());
        BackendException userInfo = assertThrows(BackendException.class,
                () -> AzureSettings.fromUri("az://key:topsecret@acct1/box", Map.of("AZURE_STORAGE_SAS_TOKEN", "sig=x")));
        assertFalse(userInfo.getMessage().contains("topsecret"), userInfo.getMessage());
    }

    @Test
    void missingOrMismatchedCredentialsAndBadNamesAreConfigErrors() {
        assertConfig("no Azure credentials", () -> AzureSettings.fromUri("az://acct1/box", Map.of()));
        assertConfig("credentials found are for account 'devstoreaccount1'",
                () -> AzureSettings.fromUri("az://other1/box", Map.of("AZURE_STORAGE_CONNECTION_STRING", AZURITE)));
        assertConfig("container 'Bad_Name'", () -> AzureSettings.fromUri("az://devstoreaccount1/Bad_Name",
                Map.of("AZURE_STORAGE_CONNECTION_STRING", AZURITE)));
        assertConfig("no container", () -> AzureSettings.fromUri("az://devstoreaccount1", Map.of("AZURE_STORAGE_CONNECTION_STRING", AZURITE)));
        assertConfig("not base64", () -> AzureSettings.fromUri("az://acct1/box", Map.of("AZURE_STORAGE_KEY", "not*base64")));
        assertConfig("no sig=", () -> AzureSettings.fromUri("az://acct1/box", Map.of("AZURE_STORAGE_SAS_TOKEN", "sv=1")));
        assertConfig("listPageSize", () -> AzureSettings.fromUri("az://devstoreaccount1/box?listPageSize=0",
                Map.of("AZURE_STORAGE_CONNECTION_STRING", AZURITE)));
    }

    @Test
    void backendUrisKnowsTheScheme() {
        BackendException e = assertThrows(BackendException.class, () -> BackendUris.openAtomic("ftp://x"));
        assertTrue(e.getMessage().contains("az://account/container/prefix"), e.getMessage());
    }

    private static void assertConfig(String expected, org.junit.jupiter.api.function.Executable call) {
        BackendException e = assertThrows(BackendException.class, call);
        assertEquals(BackendException.Kind.CONFIG, e.kind(), e.toString());
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }
}
