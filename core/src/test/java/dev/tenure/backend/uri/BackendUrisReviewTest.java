package dev.tenure.backend.uri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.RemoteBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review of issue 12 (scheme table): each test here failed on the lead's commit 134e555. Secrets in
 * a URI's user-info must never reach a message, and a file: URI takes no query in any form.
 */
class BackendUrisReviewTest {

    @TempDir
    Path dir;

    private static BackendException config(Runnable call) {
        BackendException e = assertThrows(BackendException.class, call::run);
        assertEquals(BackendException.Kind.CONFIG, e.kind(), e.toString());
        return e;
    }

    /** redact() strips the query only; user-info ("user:password@") is echoed in every message built on it. */
    @Test
    void userInfoNeverReachesAMessage() {
        for (String uri : List.of("ftp://user:hunter2@host/x", "file://user:hunter2@host/x", "file://us_er:hunter2@ho_st/x")) {
            BackendException e = config(() -> BackendUris.openAtomic(uri));
            assertFalse(e.getMessage().contains("hunter2"), "secret echoed: " + e.getMessage());
        }
    }

    /** The missing-SDK error for s3://KEY:SECRET@bucket echoes the secret (reproduced without unloading the SDK). */
    @Test
    void missingDependencyErrorDoesNotEchoUserInfo() {
        Scheme.OptionalDependency absent = new Scheme.OptionalDependency("no.such.Sdk", "an:artifact");
        BackendException e = config(() -> BackendUris.requirePresent(Scheme.S3, absent, "s3://AKIAEXAMPLE:hunter2@bucket/p"));
        assertFalse(e.getMessage().contains("hunter2"), "secret echoed: " + e.getMessage());
    }

    /**
     * The s3 scheme needs two artifacts, but only S3Client is probed: with software.amazon.awssdk:s3
     * present and apache5-client absent, opening s3:// throws NoClassDefFoundError
     * (software/amazon/awssdk/http/apache5/Apache5HttpClient) instead of the CONFIG error.
     */
    @Test
    void everyNamedArtifactIsProbed() {
        String probe = Scheme.S3.dependency().orElseThrow().probeClass();
        assertTrue(probe.contains("apache5"), "apache5-client is named in the error but never probed: probe class " + probe);
    }

    /** Hierarchical file: URIs refuse a query, but an opaque one takes it into the directory name ("rel?x=1"). */
    @Test
    void opaqueFileUriRefusesAQueryToo() {
        BackendException e = config(() -> BackendUris.localDirectory("file:rel?x=1"));
        assertTrue(e.getMessage().contains("query"), e.getMessage());
    }

    /**
     * Scheme.of is case-insensitive (RFC 3986) and routes HTTP://, LIBSQL://, D1://, S3://, GS:// to
     * their store, but every store's own parser compares the scheme case-sensitively and refuses it.
     */
    @Test
    void upperCaseSchemesOpenAsTheTableSays() throws IOException {
        Path token = Files.writeString(dir.resolve("token"), "t0ken");
        for (String uri : List.of("HTTP://127.0.0.1:9/dav/", "LIBSQL://127.0.0.1:9?tls=false&tokenFile=" + token,
                "D1://account-id/database-id?tokenFile=" + token + "&endpoint=http://127.0.0.1:9")) {
            try (RemoteBackend b = BackendUris.open(uri)) {
                assertTrue(b.name() != null, uri);
            } catch (BackendException e) {
                throw new AssertionError(uri + " is routed by the table but refused by its store: " + e.getMessage(), e);
            }
        }
    }
}
