package dev.tenure.backend.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.d1.D1Settings;
import dev.tenure.backend.turso.TursoSettings;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Review of issue 13: "a token in the URI itself (user info) is refused, and the error never repeats
 * it" (TursoSettings, D1Settings). A URI that fails to parse, or whose scheme is in capitals, is
 * echoed with only its query removed: the user info goes out whole.
 */
class Review13SqlUriRedactionTest {

    private static final String SECRET = "hunter2";

    @ParameterizedTest
    @ValueSource(strings = {"libsql://user:" + SECRET + "@host name", "LIBSQL://user:" + SECRET + "@host", "libsql://user:" + SECRET + "@host/%zz"})
    void tursoNeverEchoesUserInfo(String uri) {
        BackendException e = assertThrows(BackendException.class, () -> TursoSettings.fromUri(uri, Map.of()));
        assertEquals(BackendException.Kind.CONFIG, e.kind());
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"d1://user:" + SECRET + "@account/db x", "D1://user:" + SECRET + "@account/db"})
    void d1NeverEchoesUserInfo(String uri) {
        BackendException e = assertThrows(BackendException.class, () -> D1Settings.fromUri(uri, Map.of()));
        assertEquals(BackendException.Kind.CONFIG, e.kind());
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }
}
