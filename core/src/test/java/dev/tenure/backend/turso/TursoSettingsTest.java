package dev.tenure.backend.turso;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TursoSettingsTest {

    private static final String SECRET = "eyJhbGciOiJFZERTQSJ9.super-secret-jwt";

    @Test
    void libsqlMeansHttpsAndTlsFalseMeansHttp() {
        TursoSettings tls = TursoSettings.fromUri("libsql://db-org.turso.io", Map.of());
        assertEquals(URI.create("https://db-org.turso.io"), tls.endpoint());
        assertEquals(Optional.empty(), tls.token());
        assertEquals("tenure", tls.options().table());
        assertEquals(TursoSettings.DEFAULT_CHUNK_BYTES, tls.options().chunkBytes());
        TursoSettings plain = TursoSettings.fromUri("libsql://127.0.0.1:8080?tls=false&table=snapshots&chunkKiB=64"
                + "&requestKiB=512&orphanGraceSeconds=600&connectTimeoutMs=1500&requestTimeoutMs=9000", Map.of());
        assertEquals(URI.create("http://127.0.0.1:8080"), plain.endpoint());
        assertEquals("snapshots", plain.options().table());
        assertEquals(64 << 10, plain.options().chunkBytes());
        assertEquals(512 << 10, plain.options().requestBytes());
        assertEquals(Duration.ofMinutes(10), plain.options().orphanGrace());
        assertEquals(Duration.ofMillis(1500), plain.options().connectTimeout());
        assertEquals(Duration.ofSeconds(9), plain.options().requestTimeout());
    }

    @Test
    void theTokenComesFromTokenFileOrTheEnvironmentAndNeverShows() throws IOException {
        Path file = Files.createTempFile("turso-token", ".txt");
        try {
            Files.writeString(file, SECRET + "\n");
            TursoSettings fromFile = TursoSettings.fromUri("libsql://h?tokenFile=" + file, Map.of(TursoSettings.TOKEN_ENV, "other"));
            assertEquals(SECRET, fromFile.token().orElseThrow().reveal(), "tokenFile wins over the environment");
            TursoSettings fromEnv = TursoSettings.fromUri("libsql://h", Map.of(TursoSettings.TOKEN_ENV, SECRET));
            assertEquals(SECRET, fromEnv.token().orElseThrow().reveal());
            for (TursoSettings s : new TursoSettings[] {fromFile, fromEnv}) {
                assertFalse(s.toString().contains(SECRET), s.toString());
                assertFalse(TursoBackend.open(s).name().contains(SECRET));
                assertFalse(TursoBackend.open(s).toString().contains(SECRET));
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void aTokenInTheUriIsRefusedWithoutBeingEchoed() {
        for (String uri : new String[] {"libsql://h?token=" + SECRET, "libsql://h?authToken=" + SECRET,
                "libsql://h?tls=false&AUTH_TOKEN=" + SECRET, "libsql://user:" + SECRET + "@h"}) {
            BackendException e = assertThrows(BackendException.class, () -> TursoSettings.fromUri(uri, Map.of()));
            assertEquals(BackendException.Kind.CONFIG, e.kind());
            assertFalse(e.getMessage().contains(SECRET), e.getMessage());
            assertFalse(e.toString().contains(SECRET), e.toString());
            assertTrue(e.getMessage().contains("tokenFile"), e.getMessage());
        }
        BackendException malformed = assertThrows(BackendException.class,
                () -> TursoSettings.fromUri("libsql://h h?token=" + SECRET, Map.of()));
        assertFalse(malformed.getMessage().contains(SECRET), malformed.getMessage());
    }

    @Test
    void badFormsAreConfigErrorsThatSayWhatIsWrong() {
        assertConfig("expected libsql://", "https://h");
        assertConfig("expected libsql://", "libsql:relative");
        assertConfig("names a server, not a path", "libsql://h/db");
        assertConfig("tls must be true or false", "libsql://h?tls=maybe");
        assertConfig("unknown libsql: URI parameter 'colour'", "libsql://h?colour=blue");
        assertConfig("table prefix", "libsql://h?table=x;drop");
        assertConfig("table prefix", "libsql://h?table=sqlite_master");
        assertConfig("not a number", "libsql://h?chunkKiB=lots");
        assertConfig("chunkBytes must be at least", "libsql://h?chunkKiB=1");
        assertConfig("requestBytes at least chunkBytes", "libsql://h?chunkKiB=64&requestKiB=32");
        assertConfig("cannot read the secret file", "libsql://h?tokenFile=/no/such/file");
        assertConfig("timeouts must be positive", "libsql://h?requestTimeoutMs=0");
        BackendException endpoint = assertThrows(BackendException.class,
                () -> TursoSettings.builder(URI.create("ftp://h")).build());
        assertTrue(endpoint.getMessage().contains("http:// or https://"), endpoint.getMessage());
    }

    private static void assertConfig(String fragment, String uri) {
        BackendException e = assertThrows(BackendException.class, () -> TursoSettings.fromUri(uri, Map.of()), uri);
        assertEquals(BackendException.Kind.CONFIG, e.kind(), uri);
        assertTrue(e.getMessage().contains(fragment), () -> uri + ": expected '" + fragment + "' in: " + e.getMessage());
    }
}
