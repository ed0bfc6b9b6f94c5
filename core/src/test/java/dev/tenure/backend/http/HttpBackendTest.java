package dev.tenure.backend.http;

import dev.tenure.backend.conformance.ObjectServerDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class HttpBackendTest {

    private static final String SECRET = "Bearer s3cr3t-t0ken-value";

    @TempDir
    Path dir;
    private ObjectServerDouble server;

    @BeforeEach
    void start() throws IOException {
        server = new ObjectServerDouble();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpSettings.Builder settings() {
        return HttpSettings.builder(server.base()).auth(Secret.of(SECRET));
    }

    private Path file(String content) throws IOException {
        Path f = Files.createTempFile(dir, "up", "");
        Files.writeString(f, content);
        return f;
    }

    private static BackendException fails(BackendException.Kind kind, Executable call) {
        BackendException e = assertThrows(BackendException.class, call);
        assertEquals(kind, e.kind(), e.toString());
        assertFalse(e.getMessage().contains("s3cr3t") || e.toString().contains("s3cr3t"), "a message showed the secret: " + e);
        return e;
    }

    @Test
    void objectsLiveUnderTheBaseWithEncodedNamesAndCarryTheCredential() throws IOException {
        HttpBackend b = HttpBackend.open(settings().build());
        b.upload(file("hello"), "dir/with space/file");
        ObjectServerDouble.Seen put = server.seen.get(server.seen.size() - 1);
        assertEquals("PUT", put.method());
        assertEquals("/store/dir/with%2520space/file.obj", put.path());
        assertEquals(SECRET, put.header("Authorization"));
        Path down = dir.resolve("down");
        assertTrue(b.download("dir/with space/file", down));
        assertEquals("hello", Files.readString(down));
        assertTrue(b.exists("dir/with space/file"));
        b.delete("dir/with space/file");
        assertFalse(b.exists("dir/with space/file"));
        b.delete("dir/with space/file");
        assertFalse(b.toString().contains("s3cr3t") || b.settings().toString().contains("s3cr3t"), b.settings().toString());
    }

    @Test
    void statusesMapToKindsAndAuthIsNeverAbsent() throws IOException {
        HttpBackend b = HttpBackend.open(settings().build());
        Path f = file("x");
        server.fixedStatus = 401;
        fails(BackendException.Kind.AUTH, () -> b.exists("k"));
        fails(BackendException.Kind.AUTH, () -> b.download("k", dir.resolve("d")));
        server.fixedStatus = 403;
        fails(BackendException.Kind.AUTH, () -> b.upload(f, "k"));
        server.fixedStatus = 500;
        assertTrue(fails(BackendException.Kind.TRANSPORT, () -> b.upload(f, "k")).ambiguous(), "a 500 on a write may have applied");
        assertFalse(fails(BackendException.Kind.TRANSPORT, () -> b.exists("k")).ambiguous());
        server.fixedStatus = 429;
        assertFalse(fails(BackendException.Kind.TRANSPORT, () -> b.upload(f, "k")).ambiguous(), "429 was refused unapplied");
        server.fixedStatus = 400;
        fails(BackendException.Kind.CONFIG, () -> b.upload(f, "k"));
        server.fixedStatus = 418;
        fails(BackendException.Kind.INTERNAL, () -> b.upload(f, "k"));
    }

    @Test
    void redirectsAreRefusedAndNotFollowed() {
        HttpBackend b = HttpBackend.open(settings().build());
        server.fixedStatus = 307;
        server.fixedHeader = "Location: http://elsewhere.example/steal";
        int before = server.seen.size();
        BackendException e = fails(BackendException.Kind.CONFIG, () -> b.download("k", dir.resolve("d")));
        assertTrue(e.getMessage().contains("redirects are not followed"), e.getMessage());
        assertEquals(before + 1, server.seen.size(), "the redirect must not be followed");
    }

    @Test
    void aTruncatedBodyLeavesTheLocalFileAlone() throws IOException {
        HttpBackend b = HttpBackend.open(settings().build());
        b.upload(file("complete content"), "k");
        Path local = dir.resolve("local");
        Files.writeString(local, "old");
        server.truncateBy = 10;
        fails(BackendException.Kind.TRANSPORT, () -> b.download("k", local));
        assertEquals("old", Files.readString(local));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count(), "no temporary file left");
        }
    }

    @Test
    void aMissingLocalFileIsAConfigErrorAndAnUnreachableServerIsNotAmbiguous() throws IOException {
        HttpBackend b = HttpBackend.open(settings().build());
        fails(BackendException.Kind.CONFIG, () -> b.upload(dir.resolve("missing"), "k"));
        assertEquals(0, server.seen.size(), "nothing is sent for a file that cannot be read");
        Path f = file("x");
        server.close();
        BackendException e = fails(BackendException.Kind.TRANSPORT, () -> b.upload(f, "k"));
        assertFalse(e.ambiguous(), "a write that never connected cannot have been applied: " + e);
    }

    @Test
    void listingNoneIsAConfigError() {
        HttpBackend b = HttpBackend.open(settings().listing(HttpSettings.Listing.NONE).build());
        assertTrue(fails(BackendException.Kind.CONFIG, () -> b.list("")).getMessage().contains("listing=none"));
    }

    // ---- atomic ----------------------------------------------------------------------------------

    @Test
    void atomicNeedsTheOperatorsClaim() {
        BackendException e = fails(BackendException.Kind.CONFIG, () -> AtomicHttpBackend.open(settings().build()));
        assertTrue(e.getMessage().contains("preconditions=enforced"), e.getMessage());
        assertEquals(0, server.seen.size(), "without the claim nothing is even sent");
    }

    @Test
    void aServerThatEnforcesPreconditionsOpensAndKeepsThem() {
        AtomicHttpBackend b = AtomicHttpBackend.open(settings().preconditions(HttpSettings.Preconditions.ENFORCED).build());
        ObjectVersion v1 = b.put("lease", utf8("one"), ConditionalPut.ifAbsent());
        assertEquals("*", server.seen.get(server.seen.size() - 1).header("If-None-Match"));
        fails(BackendException.Kind.PRECONDITION_FAILED, () -> b.put("lease", utf8("two"), ConditionalPut.ifAbsent()));
        ObjectVersion v2 = b.put("lease", utf8("two"), ConditionalPut.ifVersion(v1));
        assertEquals(v1.token(), server.seen.get(server.seen.size() - 1).header("If-Match"));
        assertNotEquals(v1, v2);
        fails(BackendException.Kind.PRECONDITION_FAILED, () -> b.put("lease", utf8("three"), ConditionalPut.ifVersion(v1)));
        var read = b.read("lease").orElseThrow();
        assertArrayEquals(utf8("two"), read.value());
        assertEquals(v2, read.version());
        assertEquals(v2, b.objectVersion("lease").orElseThrow());
    }

    @Test
    void aServerThatIgnoresPreconditionsIsRefusedWithWhatItGotWrong() {
        server.honourConditions = false;
        BackendException e = fails(BackendException.Kind.CONFIG,
                () -> AtomicHttpBackend.open(settings().preconditions(HttpSettings.Preconditions.ENFORCED).build()));
        assertTrue(e.getMessage().contains("create-if-absent honoured") && e.getMessage().contains("does not enforce preconditions"),
                e.getMessage());
    }

    @Test
    void weakEtagsNeverServe() {
        server.weakEtags = true;
        BackendException e = fails(BackendException.Kind.CONFIG,
                () -> AtomicHttpBackend.open(settings().preconditions(HttpSettings.Preconditions.ENFORCED).build()));
        assertTrue(e.getMessage().contains("weak ETag"), e.getMessage());
    }

    @Test
    void aPutAnswerWithoutAnEtagIsRefused() {
        server.etagOnPut = false;
        BackendException e = fails(BackendException.Kind.CONFIG,
                () -> AtomicHttpBackend.open(settings().preconditions(HttpSettings.Preconditions.ENFORCED).build()));
        assertTrue(e.getMessage().contains("without an ETag"), e.getMessage());
    }

    /**
     * Issue 11, item 19: once the server was accepted, a PUT answered 2xx without a strong ETag
     * was applied; only its version is unknown. That is ambiguous (read back), not a definite CONFIG.
     */
    @Test
    void aSuccessfulPutWithoutAUsableEtagAfterOpenIsAmbiguous() {
        AtomicHttpBackend b = AtomicHttpBackend.open(settings().preconditions(HttpSettings.Preconditions.ENFORCED).build());
        server.etagOnPut = false;
        BackendException missing = fails(BackendException.Kind.TRANSPORT, () -> b.put("k", utf8("applied"), ConditionalPut.ifAbsent()));
        assertTrue(missing.ambiguous(), missing.toString());
        assertTrue(missing.getMessage().contains("without an ETag") && missing.getMessage().contains("may have been applied"),
                missing.getMessage());
        assertArrayEquals(utf8("applied"), b.read("k").orElseThrow().value(), "the write was applied");

        server.fixedStatus = 202;
        BackendException accepted = fails(BackendException.Kind.TRANSPORT, () -> b.put("a", utf8("x"), ConditionalPut.ifAbsent()));
        assertTrue(accepted.ambiguous() && accepted.getMessage().contains("HTTP 202"), "202 Accepted may be applied later: " + accepted);
        server.fixedStatus = 0;

        server.etagOnPut = true;
        server.weakEtags = true;
        BackendException weak = fails(BackendException.Kind.TRANSPORT, () -> b.put("w", utf8("applied too"), ConditionalPut.ifAbsent()));
        assertTrue(weak.ambiguous() && weak.getMessage().contains("weak ETag"), weak.toString());
    }

    /**
     * Issue 11, item 18: a PUT that needs its collections made sends PUT, MKCOL and PUT again; each
     * got the whole request timeout, so a slow server stretched one upload to three timeouts. Now
     * all of them share one: here the MKCOL gets what the first PUT left, and the upload fails at
     * about 1 s instead of succeeding after 2.1 s.
     */
    @Test
    void theRequestsOfOnePutShareOneRequestTimeout() throws IOException {
        HttpBackend b = HttpBackend.open(settings().requestTimeout(Duration.ofMillis(1000)).build());
        Path body = file("content");
        server.collectionsMissing = true;
        server.answerDelayMillis = 700;
        BackendException e = fails(BackendException.Kind.TRANSPORT, () -> b.upload(body, "dir/k"));
        assertEquals(1, server.seen.stream().filter(s -> s.method().equals("PUT")).count(), "no second PUT: " + server.seen);
        server.answerDelayMillis = 0;
        assertFalse(b.download("dir/k", dir.resolve("back")), "nothing was stored: " + e);
        assertEquals(Duration.ofMillis(1000), b.operationDeadline().orElseThrow(), "callers retry within the same deadline");
    }

    // ---- settings ----------------------------------------------------------------------------------

    @Test
    void uriFormsAndCredentialsStayOutOfUris() throws IOException {
        Path auth = dir.resolve("auth");
        Files.writeString(auth, SECRET + "\n");
        HttpSettings s = HttpSettings.fromUri("https://dav.example:8443/base/path?preconditions=enforced&listing=none&authFile="
                + auth + "&requestTimeoutMs=1500", Map.of());
        assertEquals("https://dav.example:8443/base/path/", s.baseUrl().toString());
        assertEquals(HttpSettings.Preconditions.ENFORCED, s.preconditions());
        assertEquals(HttpSettings.Listing.NONE, s.listing());
        assertEquals(SECRET, s.auth().orElseThrow().reveal());
        assertEquals(1500, s.requestTimeout().toMillis());
        assertFalse(s.toString().contains("s3cr3t"), s.toString());
        HttpSettings fromEnv = HttpSettings.fromUri("http://h/", Map.of(HttpSettings.AUTH_ENV, SECRET));
        assertEquals(SECRET, fromEnv.auth().orElseThrow().reveal());

        BackendException userinfo = fails(BackendException.Kind.CONFIG, () -> HttpSettings.fromUri("http://user:s3cr3t@h/", Map.of()));
        assertTrue(userinfo.getMessage().contains("credentials in the URL are refused"), userinfo.getMessage());
        BackendException token = fails(BackendException.Kind.CONFIG, () -> HttpSettings.fromUri("http://h/?token=s3cr3t", Map.of()));
        assertTrue(token.getMessage().contains("never taken from a URI"), token.getMessage());
        fails(BackendException.Kind.CONFIG, () -> HttpSettings.fromUri("ftp://h/", Map.of()));
        fails(BackendException.Kind.CONFIG, () -> HttpSettings.fromUri("http://h/?listing=ls", Map.of()));
        fails(BackendException.Kind.CONFIG, () -> HttpSettings.fromUri("http://h/?authFile=" + dir.resolve("none"), Map.of()));
        fails(BackendException.Kind.CONFIG, () -> Secret.of("Bearer a\r\nX-Injected: s3cr3t"));
        assertFalse(Secret.of(SECRET).toString().contains("s3cr3t"));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
