package dev.tenure.it.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.http.HttpSettings;
import dev.tenure.it.TenureProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tenure verify} on an HTTP URI probes the server whatever the URI claims. */
class HttpVerifyCommandIT {

    @TempDir
    Path dir;

    @Test
    void lighttpdHoldsEveryGuaranteeWithoutBeingClaimed() throws Exception {
        HttpSettings s = HttpTestServer.settings().build();
        TenureProcess.Result r = TenureProcess.run(dir, "verify", s.baseUrl() + "verify-it/?authFile="
                + System.getenv("TENURE_HTTP_AUTH_FILE"), "--create-rounds", "30", "--increments", "20");
        System.out.println(r.output());
        assertEquals(0, r.exitCode(), r.output());
        for (String guarantee : new String[] {"create-if-absent honoured", "stale if-match refused", "new version per write",
            "conditional delete honoured", "create-if-absent atomic", "if-match atomic"}) {
            assertTrue(r.output().matches("(?s).*" + guarantee + "\\s+HOLDS.*"), guarantee + ": " + r.output());
        }
    }

    @Test
    void leasesRaceOnLighttpdWithOneWinnerPerRound() throws Exception {
        HttpSettings s = HttpTestServer.settings().build();
        String uri = s.baseUrl() + "race-it-" + System.nanoTime() + "/?preconditions=enforced&authFile="
                + System.getenv("TENURE_HTTP_AUTH_FILE");
        TenureProcess.Result r = TenureProcess.run(dir, "race", "--replicas", "6", "--rounds", "6", "--backend", uri);
        System.out.println(r.output());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("won epoch 6"), r.output());
        assertTrue(r.output().contains("every round had exactly one winner and epochs only rose"), r.output());
    }

    @Test
    void snapshotsMoveThroughAPlainHttpServerButCannotBeFencedThere() throws Exception {
        HttpSettings s = HttpTestServer.settings().build();
        String uri = s.baseUrl() + "snap-it-" + System.nanoTime() + "/?authFile=" + System.getenv("TENURE_HTTP_AUTH_FILE");
        Path db = dir.resolve("db");
        Files.write(db, new byte[123_457]);
        TenureProcess.Result push = TenureProcess.run(dir, "snapshot", "push", uri, "orders", db.toString());
        assertEquals(0, push.exitCode(), push.output());
        TenureProcess.Result pull = TenureProcess.run(dir, "snapshot", "pull", uri, "orders", dir.resolve("copy").toString());
        assertEquals(0, pull.exitCode(), pull.output());
        assertEquals(123_457, Files.size(dir.resolve("copy")));
        TenureProcess.Result fenced = TenureProcess.run(dir, "snapshot", "push", "--lease", "w", uri, "orders", db.toString());
        assertEquals(2, fenced.exitCode(), fenced.output());
        assertTrue(fenced.output().contains("snapshot transport only"), fenced.output());
    }

    @Test
    void aWrongCredentialIsAuthAndNeverShown() throws Exception {
        HttpSettings s = HttpTestServer.settings().build();
        String secret = "Basic bm90LXRoZS1zZWNyZXQ6" + System.nanoTime();
        Path wrong = dir.resolve("wrong-auth");
        Files.writeString(wrong, secret);
        TenureProcess.Result r = TenureProcess.run(dir, Map.of(), "verify", s.baseUrl() + "verify-it/?authFile=" + wrong);
        assertEquals(2, r.exitCode(), r.output());
        assertTrue(r.output().contains("HTTP 401") && r.output().contains("check the credentials"), r.output());
        assertFalse(r.output().contains(secret.substring(6)), r.output());
    }
}
