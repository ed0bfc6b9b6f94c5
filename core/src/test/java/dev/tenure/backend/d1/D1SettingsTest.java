package dev.tenure.backend.d1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class D1SettingsTest {

    private static final String SECRET = "cf-api-token-super-secret-0001";
    private static final String ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";
    private static final String DB = "4a7b5e0c-9a77-4a5d-8f6e-0f6b9f1c2d3e";
    private static final Map<String, String> ENV = Map.of(D1Settings.TOKEN_ENV, SECRET);

    @Test
    void aUriNamesAccountAndDatabaseAndTheTokenComesFromTheEnvironment() {
        D1Settings s = D1Settings.fromUri("d1://" + ACCOUNT + "/" + DB, ENV);
        assertEquals(ACCOUNT, s.accountId());
        assertEquals(DB, s.databaseId());
        assertEquals(D1Settings.DEFAULT_ENDPOINT, s.endpoint());
        assertEquals(SECRET, s.token().reveal());
        assertEquals(URI.create("https://api.cloudflare.com/client/v4/accounts/" + ACCOUNT + "/d1/database/" + DB + "/query"),
                s.queryUrl());
        assertFalse(s.toString().contains(SECRET), s.toString());
        assertFalse(D1Backend.open(s).name().contains(SECRET));
        D1Settings local = D1Settings.fromUri("d1://" + ACCOUNT + "/" + DB + "/?endpoint=http://127.0.0.1:8787/client/v4/"
                + "&table=snaps&chunkKiB=128", ENV);
        assertEquals(URI.create("http://127.0.0.1:8787/client/v4/accounts/" + ACCOUNT + "/d1/database/" + DB + "/query"),
                local.queryUrl());
        assertEquals("snaps", local.options().table());
        assertEquals(128 << 10, local.options().chunkBytes());
    }

    @Test
    void tokenFileWinsOverTheEnvironment() throws IOException {
        Path file = Files.createTempFile("d1-token", ".txt");
        try {
            Files.writeString(file, "  from-file-token \n");
            D1Settings s = D1Settings.fromUri("d1://" + ACCOUNT + "/" + DB + "?tokenFile=" + file, ENV);
            assertEquals("from-file-token", s.token().reveal());
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void aTokenInTheUriIsRefusedWithoutBeingEchoed() {
        for (String uri : new String[] {"d1://" + ACCOUNT + "/" + DB + "?token=" + SECRET,
                "d1://" + ACCOUNT + "/" + DB + "?apiToken=" + SECRET, "d1://" + ACCOUNT + "/" + DB + "?api_token=" + SECRET,
                "d1://me:" + SECRET + "@" + ACCOUNT + "/" + DB}) {
            BackendException e = assertThrows(BackendException.class, () -> D1Settings.fromUri(uri, Map.of()));
            assertEquals(BackendException.Kind.CONFIG, e.kind());
            assertFalse(e.getMessage().contains(SECRET), e.getMessage());
            assertTrue(e.getMessage().contains(D1Settings.TOKEN_ENV), e.getMessage());
        }
    }

    @Test
    void badFormsAreConfigErrorsThatSayWhatIsWrong() {
        assertConfig("no API token", "d1://" + ACCOUNT + "/" + DB, Map.of());
        assertConfig("set but empty", "d1://" + ACCOUNT + "/" + DB, Map.of(D1Settings.TOKEN_ENV, " "));
        assertConfig("expected d1://", "d1://" + ACCOUNT, ENV);
        assertConfig("expected d1://", "d1://" + ACCOUNT + "/" + DB + "/extra", ENV);
        assertConfig("expected d1://", "s3://" + ACCOUNT + "/" + DB, ENV);
        assertConfig("account id", "d1://bad_account!/" + DB, ENV);
        assertConfig("unknown d1: URI parameter 'region'", "d1://" + ACCOUNT + "/" + DB + "?region=x", ENV);
        assertConfig("endpoint must be", "d1://" + ACCOUNT + "/" + DB + "?endpoint=ftp://x", ENV);
        assertConfig("too large for D1", "d1://" + ACCOUNT + "/" + DB + "?chunkKiB=1024&requestKiB=4096", ENV);
    }

    private static void assertConfig(String fragment, String uri, Map<String, String> env) {
        BackendException e = assertThrows(BackendException.class, () -> D1Settings.fromUri(uri, env), uri);
        assertEquals(BackendException.Kind.CONFIG, e.kind(), uri);
        assertTrue(e.getMessage().contains(fragment), () -> uri + ": expected '" + fragment + "' in: " + e.getMessage());
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }
}
