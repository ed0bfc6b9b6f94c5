package dev.tenure.backend.uri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.RemoteBackend;
import dev.tenure.backend.d1.D1Backend;
import dev.tenure.backend.http.HttpBackend;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.backend.turso.TursoBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every backend has a URI; the snapshot-only ones open for transport and are refused where atomicity is needed. */
class BackendUrisTest {

    @TempDir
    Path dir;

    private static BackendException config(Runnable call) {
        BackendException e = assertThrows(BackendException.class, call::run);
        assertEquals(BackendException.Kind.CONFIG, e.kind(), e.toString());
        return e;
    }

    @Test
    void atomicFormsOpenEitherWay() {
        assertInstanceOf(InMemoryBackend.class, BackendUris.open("mem:"));
        assertInstanceOf(LocalBackend.class, BackendUris.openAtomic("file://" + dir.resolve("a")));
        assertInstanceOf(LocalBackend.class, BackendUris.open("file:" + dir.resolve("b")));
    }

    @Test
    void snapshotOnlyFormsOpenForTransportAndAreRefusedForAtomicity() throws IOException {
        Path token = Files.writeString(dir.resolve("token"), "t0ken-s3cret");
        // Port 9 (discard) on loopback: nothing is sent until the first operation, and none is made here.
        try (RemoteBackend http = BackendUris.open("http://127.0.0.1:9/dav/")) {
            assertInstanceOf(HttpBackend.class, http);
        }
        try (RemoteBackend turso = BackendUris.open("libsql://127.0.0.1:9?tls=false&tokenFile=" + token)) {
            assertInstanceOf(TursoBackend.class, turso);
        }
        try (RemoteBackend d1 = BackendUris.open("d1://account-id/database-id?tokenFile=" + token + "&endpoint=http://127.0.0.1:9")) {
            assertInstanceOf(D1Backend.class, d1);
        }
        assertTrue(config(() -> BackendUris.openAtomic("http://127.0.0.1:9/dav/")).getMessage().contains("preconditions=enforced"));
        for (String uri : new String[] {"libsql://127.0.0.1:9?tls=false&tokenFile=" + token, "d1://a/b?tokenFile=" + token}) {
            BackendException e = config(() -> BackendUris.openAtomic(uri));
            assertTrue(e.getMessage().contains("snapshot transport only"), e.getMessage());
            assertFalse(e.getMessage().contains(token.toString()), "the query stays out of messages: " + e.getMessage());
        }
    }

    @Test
    void unknownFormsListTheOnesThatWork() {
        BackendException e = config(() -> BackendUris.open("ftp://host/path?password=x"));
        assertTrue(e.getMessage().contains("'ftp://host/path?...'"), e.getMessage());
        for (String form : new String[] {"file:///", "mem:", "s3://", "http(s)://", "libsql://", "d1://"}) {
            assertTrue(e.getMessage().contains(form), form + " missing from: " + e.getMessage());
        }
        config(() -> BackendUris.open(" "));
    }

    @Test
    void fileUrisAreParsedAsUris() {
        Path spaced = dir.resolve("with space");
        assertEquals(spaced, BackendUris.localDirectory(spaced.toUri().toString()), "percent-escapes are decoded");
        assertEquals(spaced, BackendUris.localDirectory("file://localhost" + spaced.toUri().getRawPath()));
        assertEquals(Path.of("relative/dir"), BackendUris.localDirectory("file:relative/dir"));
        assertTrue(config(() -> BackendUris.openAtomic("file://fileserver/share/dir")).getMessage()
                .contains("host 'fileserver'"));
        assertTrue(config(() -> BackendUris.openAtomic("file:///tmp/a b")).getMessage().contains("percent-encode"));
        config(() -> BackendUris.openAtomic("file:///tmp/x?token=1"));
        config(() -> BackendUris.openAtomic("file://"));
    }

    @Test
    void schemesAreCaseInsensitiveAndListedOnce() {
        assertInstanceOf(InMemoryBackend.class, BackendUris.openAtomic("MEM:"));
        assertEquals(Scheme.allForms().size(), Scheme.allForms().stream().distinct().count());
        assertFalse(Scheme.atomicForms().stream().anyMatch(f -> f.startsWith("libsql") || f.startsWith("d1")));
    }

    @Test
    void aMissingOptionalDependencyIsNamed() {
        BackendException e = config(() -> BackendUris.requirePresent(Scheme.S3,
                new Scheme.OptionalDependency(List.of("no.such.SdkClient"), "com.example:sdk"), "s3://bucket/p?secret=x"));
        assertTrue(e.getMessage().contains("needs com.example:sdk"), e.getMessage());
        assertFalse(e.getMessage().contains("secret"), e.getMessage());
    }

    // Found by the adversarial review of issue 12.

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
        Scheme.OptionalDependency absent = new Scheme.OptionalDependency(List.of("no.such.Sdk"), "an:artifact");
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
        String probe = String.join(",", Scheme.S3.dependency().orElseThrow().probeClasses());
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

    /**
     * User-info is refused for every scheme with one message, file://user:pw@localhost included (it
     * was refused as "names host 'localhost'"), and a secret holding '/' or '?' (base64 keys do) is
     * never echoed, not even in part.
     */
    @Test
    void userInfoIsRefusedForEverySchemeAndNeverEchoedInPart() {
        for (String uri : List.of("file://user:hunter2@localhost/tmp/x", "mem://user:hunter2@x", "az://u:hunter2@acct/c/p",
                "libsql://u:hunter2@host", "d1://u:hunter2@acct/db", "s3://AKIA:se/hunter2@bucket/p", "gs://k:hunter2@bucket")) {
            BackendException e = config(() -> BackendUris.open(uri));
            assertTrue(e.getMessage().contains("credentials in the URI"), uri + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("hunter2") || e.getMessage().contains("AKIA"), "secret echoed: " + e.getMessage());
        }
        for (String uri : List.of("ftp://user:se/hunter2@host/x", "ftp://user:se?hunter2@host/x", "ftp://u:se#hunter2@host")) {
            String shown = BackendUris.redact(uri);
            assertFalse(shown.contains("hunter2") || shown.contains("se"), uri + " shown as " + shown);
        }
        assertEquals("s3://...@bucket/p?...", BackendUris.redact("s3://k:s@bucket/p?endpoint=x"));
        assertEquals("file:///tmp/dir", BackendUris.redact("file:///tmp/dir"));
        assertEquals(Path.of("/tmp/x y"), BackendUris.fileDirectory("file:///tmp/x%20y"));
        assertTrue(config(() -> BackendUris.fileDirectory("mem:")).getMessage().contains("not a file: URI"));
    }
}
