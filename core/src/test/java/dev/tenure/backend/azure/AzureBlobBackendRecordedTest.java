package dev.tenure.backend.azure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Secret;
import dev.tenure.backend.azure.RecordedBlobServer.Answer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Azure backend's requests and its reading of answers, against recorded exchanges. The error
 * answers marked "recorded" were captured from Azurite 3.37.0 on 2026-11-29 (bodies kept, request
 * ids included); those marked "from the docs" are written from Microsoft's Blob service error-code
 * tables (429, 500 OperationTimedOut, 503 ServerBusy, 404 BlobNotFound on a conditional delete),
 * which Azurite does not produce.
 */
class AzureBlobBackendRecordedTest {

    /** Azurite's well-known development key (published by Microsoft); it signs the expected values below. */
    static final String DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    static final Clock FIXED = Clock.fixed(Instant.parse("2026-11-29T14:00:00Z"), ZoneOffset.UTC);
    static final String ETAG = "\"0x2623DC3C5DC82E0\"";

    private final RecordedBlobServer server;
    private final AzureBlobBackend backend;

    AzureBlobBackendRecordedTest() throws Exception {
        server = new RecordedBlobServer();
        backend = backend(new AzureCredential.SharedKey("devstoreaccount1", Secret.of(DEV_KEY)), Duration.ofSeconds(5));
    }

    private AzureBlobBackend backend(AzureCredential credential, Duration requestTimeout) {
        return new AzureBlobBackend(new AzureSettings("devstoreaccount1", "tenure-it", "p", server.endpoint(), credential,
                Duration.ofSeconds(2), requestTimeout, 2), FIXED);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- signing -------------------------------------------------------------------------------

    @Test
    void aCreateIsSignedWithSharedKeyAsMicrosoftDocumentsIt() {
        server.answer(Answer.of(201, Map.of("ETag", ETAG, "Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="), ""));
        assertEquals(ObjectVersion.of(ETAG), backend.put("with space", utf8("hello"), ConditionalPut.ifAbsent()));
        RecordedBlobServer.Seen put = server.seen.get(0);
        assertEquals("PUT", put.method());
        assertEquals("/devstoreaccount1/tenure-it/p/with%20space", put.pathAndQuery());
        assertEquals("*", put.header("If-None-Match"));
        assertEquals("BlockBlob", put.header("x-ms-blob-type"));
        assertEquals("XUFAKrxLKna5cZ2REBfFkg==", put.header("Content-MD5"));
        assertEquals("Sun, 29 Nov 2026 14:00:00 GMT", put.header("x-ms-date"));
        assertEquals(AzureBlobBackend.API_VERSION, put.header("x-ms-version"));
        assertArrayEquals(utf8("hello"), put.body());
        // Expected signature computed independently (Node.js crypto HMAC-SHA256) over the documented string to sign.
        assertEquals("SharedKey devstoreaccount1:P7VO0UgMsRNR6tFq/AmIY2iLBt4vfo6VdErOveCz7lY=", put.header("Authorization"));
    }

    @Test
    void theStringToSignHasTheDocumentedLayout() {
        String signed = SharedKeySigner.stringToSign("PUT", URI.create("http://127.0.0.1:10000/devstoreaccount1/tenure-it/p/with%20space"),
                Map.of("Content-Length", "5", "Content-MD5", "XUFAKrxLKna5cZ2REBfFkg==", "Content-Type", "application/octet-stream",
                        "If-None-Match", "*", "x-ms-blob-type", "BlockBlob", "X-MS-Date", "Sun, 29 Nov 2026 14:00:00 GMT",
                        "x-ms-version", "2025-01-05"), "devstoreaccount1");
        assertEquals("PUT\n\n\n5\nXUFAKrxLKna5cZ2REBfFkg==\napplication/octet-stream\n\n\n\n*\n\n\n"
                + "x-ms-blob-type:BlockBlob\nx-ms-date:Sun, 29 Nov 2026 14:00:00 GMT\nx-ms-version:2025-01-05\n"
                + "/devstoreaccount1/devstoreaccount1/tenure-it/p/with%20space", signed);
        String empty = SharedKeySigner.stringToSign("PUT", URI.create("http://h/a/c/k"), Map.of("Content-Length", "0"), "a");
        assertTrue(empty.startsWith("PUT\n\n\n\n"), "a Content-Length of 0 is signed as empty (version 2015-02-21 on): " + empty);
    }

    @Test
    void aListingPageIsSignedWithItsQueryAndFollowsNextMarker() {
        String page1 = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><EnumerationResults ServiceEndpoint=\"x\""
                + " ContainerName=\"tenure-it\"><Prefix>p/a+b</Prefix><MaxResults>2</MaxResults><Blobs>"
                + "<Blob><Name>p/a+b/2</Name><Properties><Etag>0x1</Etag></Properties></Blob>"
                + "<Blob><Name>p/a+b/1</Name><Properties><Etag>0x2</Etag></Properties></Blob></Blobs>"
                + "<NextMarker>2!80!MDAwMDE2</NextMarker></EnumerationResults>";
        // Recorded from Azurite's last page: an empty NextMarker element ends the listing.
        String page2 = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><EnumerationResults ServiceEndpoint=\"x\""
                + " ContainerName=\"tenure-it\"><Prefix>p/a+b</Prefix><Marker>2!80!MDAwMDE2</Marker><MaxResults>2</MaxResults>"
                + "<Blobs><Blob><Name>p/a+b/3</Name><Properties/></Blob><Blob><Name>p/a+b/bad//key</Name><Properties/></Blob></Blobs>"
                + "<NextMarker/></EnumerationResults>";
        server.answer(Answer.of(200, Map.of(), page1)).answer(Answer.of(200, Map.of(), page2));
        assertEquals(List.of("a+b/1", "a+b/2", "a+b/3"), backend.list("a+b"));
        assertEquals("/devstoreaccount1/tenure-it?restype=container&comp=list&prefix=p%2Fa%2Bb&maxresults=2",
                server.seen.get(0).pathAndQuery());
        assertEquals("/devstoreaccount1/tenure-it?restype=container&comp=list&prefix=p%2Fa%2Bb&maxresults=2&marker=2%2180%21MDAwMDE2",
                server.seen.get(1).pathAndQuery());
        assertEquals("SharedKey devstoreaccount1:19iOXS2wdNAomJINI855Lg1HQqLiS0xZDZ4h/wJjRHE=", server.seen.get(1).header("Authorization"));
    }

    @Test
    void aSasTokenGoesInTheQueryAndNeverIntoAMessage() {
        String sig = "DsbC%2BCvYVLla8Iey6I8Q5sK0UVC8F7vPqIky%2FKbv4lA%3D";
        AzureBlobBackend sas = backend(new AzureCredential.Sas(Secret.of("sv=2018-11-09&ss=b&srt=co&sp=rwdlac&sig=" + sig)),
                Duration.ofSeconds(5));
        // From the docs: a 403 whose detail echoes the request's signature.
        server.answer(Answer.error(403, "AuthenticationFailed", "Signature did not match. Signature: "
                + "DsbC+CvYVLla8Iey6I8Q5sK0UVC8F7vPqIky/Kbv4lA="));
        BackendException e = assertThrows(BackendException.class, () -> sas.read("k"));
        assertEquals(BackendException.Kind.AUTH, e.kind(), e.toString());
        assertFalse(e.getMessage().contains("DsbC"), e.getMessage());
        assertFalse(sas.toString().contains("DsbC") || sas.settings().toString().contains("DsbC"), sas.toString());
        RecordedBlobServer.Seen get = server.seen.get(0);
        assertEquals("/devstoreaccount1/tenure-it/p/k?sv=2018-11-09&ss=b&srt=co&sp=rwdlac&sig=" + sig, get.pathAndQuery());
        assertNull(get.header("Authorization"));
    }

    // ---- losing a race -------------------------------------------------------------------------

    @Test
    void aCreateOnAnExistingBlobIs409BlobAlreadyExistsAndMeansTheRaceWasLost() {
        // Recorded: Azurite 3.37.0, Put Blob with If-None-Match: * on an existing blob.
        server.answer(Answer.error(409, "BlobAlreadyExists", "The specified blob already exists."));
        BackendException e = assertThrows(BackendException.class, () -> backend.put("k", utf8("x"), ConditionalPut.ifAbsent()));
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, e.kind(), e.toString());
        assertFalse(e.ambiguous());
        assertTrue(e.getMessage().contains("409 (BlobAlreadyExists: The specified blob already exists.)"), e.getMessage());
    }

    @Test
    void aStaleIfMatchIs412ConditionNotMetOnPutAndDelete() {
        // Recorded: Azurite 3.37.0, If-Match with a stale ETag, and with the ETag of another blob on a missing one.
        String message = "The condition specified using HTTP conditional header(s) is not met.";
        server.answer(Answer.error(412, "ConditionNotMet", message)).answer(Answer.error(412, "ConditionNotMet", message))
                .answer(Answer.error(412, "ConditionNotMet", message));
        ConditionalPut stale = ConditionalPut.ifVersion(ObjectVersion.of("\"0x1234\""));
        assertPreconditionFailed(() -> backend.put("k", utf8("x"), stale));
        assertPreconditionFailed(() -> backend.put("missing", utf8("x"), ConditionalPut.ifVersion(ObjectVersion.of(ETAG))));
        assertPreconditionFailed(() -> backend.deleteConditional("k", ConditionalDelete.ifVersion(ObjectVersion.of("\"0x1234\""))));
        assertEquals("\"0x1234\"", server.seen.get(0).header("If-Match"));
        assertEquals("\"0x1234\"", server.seen.get(2).header("If-Match"));
    }

    @Test
    void aConditionalDeleteOfAMissingBlobIsAFailedCondition() {
        // From the docs: Azure answers 404 BlobNotFound where Azurite answers 412.
        server.answer(Answer.error(404, "BlobNotFound", "The specified blob does not exist."));
        assertPreconditionFailed(() -> backend.deleteConditional("k", ConditionalDelete.ifVersion(ObjectVersion.of(ETAG))));
    }

    private static void assertPreconditionFailed(Executable call) {
        BackendException e = assertThrows(BackendException.class, call::execute);
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, e.kind(), e.toString());
        assertFalse(e.ambiguous());
    }

    // ---- answers that are not a lost race ------------------------------------------------------

    @Test
    void anAzureLeaseOnTheBlobIsAConfigErrorNeverALostRace() {
        // Recorded: Azurite 3.37.0, a conditional Put Blob and Delete Blob while an Azure lease was held (412 LeaseIdMissing).
        String message = "There is currently a lease on the blob and no lease ID was specified in the request.";
        server.answer(Answer.error(412, "LeaseIdMissing", message)).answer(Answer.error(412, "LeaseIdMissing", message));
        BackendException put = assertThrows(BackendException.class,
                () -> backend.put("k", utf8("x"), ConditionalPut.ifVersion(ObjectVersion.of(ETAG))));
        assertEquals(BackendException.Kind.CONFIG, put.kind(), put.toString());
        assertTrue(put.getMessage().contains("break the Azure lease"), put.getMessage());
        BackendException delete = assertThrows(BackendException.class,
                () -> backend.deleteConditional("k", ConditionalDelete.ifVersion(ObjectVersion.of(ETAG))));
        assertEquals(BackendException.Kind.CONFIG, delete.kind(), delete.toString());
    }

    @Test
    void aMissingContainerIsAConfigErrorNeverAnAbsentBlob() {
        // Recorded: Azurite 3.37.0, GET and a create in a container that does not exist.
        server.answer(Answer.error(404, "ContainerNotFound", "The specified container does not exist."))
                .answer(Answer.error(404, "ContainerNotFound", "The specified container does not exist."))
                .answer(Answer.of(404, Map.of("x-ms-error-code", "ContainerNotFound"), ""));
        for (Executable call : List.<Executable>of(() -> backend.read("k"), () -> backend.put("k", utf8("x"), ConditionalPut.ifAbsent()),
                () -> backend.delete("k"))) {
            BackendException e = assertThrows(BackendException.class, call::execute);
            assertEquals(BackendException.Kind.CONFIG, e.kind(), e.toString());
            assertTrue(e.getMessage().contains("container 'tenure-it' does not exist"), e.getMessage());
        }
    }

    @Test
    void aMissingBlobReadsAsAbsentAndAnUnconditionalDeleteOfItSucceeds() {
        server.answer(Answer.error(404, "BlobNotFound", "The specified blob does not exist."))
                .answer(Answer.of(404, Map.of("x-ms-error-code", "BlobNotFound"), ""))
                .answer(Answer.error(404, "BlobNotFound", "The specified blob does not exist."));
        assertEquals(Optional.empty(), backend.read("k"));
        assertEquals(Optional.empty(), backend.objectVersion("k"));
        backend.delete("k");
        assertEquals("HEAD", server.seen.get(1).method());
    }

    @Test
    void aRefusedSignatureIsAnAuthErrorThatNeverShowsTheKey() {
        // Recorded: Azurite 3.37.0, a GET signed with the wrong key.
        server.answer(Answer.error(403, "AuthorizationFailure", "Server failed to authenticate the request. Make sure the value"
                + " of the Authorization header is formed correctly including the signature."));
        BackendException e = assertThrows(BackendException.class, () -> backend.read("k"));
        assertEquals(BackendException.Kind.AUTH, e.kind(), e.toString());
        assertFalse(e.getMessage().contains(DEV_KEY.substring(0, 12)), e.getMessage());
        assertFalse(backend.toString().contains(DEV_KEY.substring(0, 12)), backend.toString());
    }

    @Test
    void aDamagedUploadThatTheStoreRefusedIsATransientFailureThatWroteNothing() {
        // Recorded: Azurite 3.37.0, Put Blob whose Content-MD5 did not match the body.
        server.answer(Answer.error(400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5"
                + " value calculated by the server."));
        BackendException e = assertThrows(BackendException.class, () -> backend.put("k", utf8("x"), ConditionalPut.ifAbsent()));
        assertEquals(BackendException.Kind.TRANSPORT, e.kind(), e.toString());
        assertFalse(e.ambiguous(), "the store refused the body: nothing was written");
    }

    @Test
    void throttlingAndServerErrorsAreTransientAndAmbiguousOnlyWhenAWriteMayHaveLanded() {
        // From the docs: 429 is refused before any work; 500 OperationTimedOut and 503 ServerBusy may or may not have applied.
        server.answer(Answer.error(429, "TooManyRequests", "throttled"))
                .answer(Answer.error(500, "OperationTimedOut", "The operation could not be completed within the permitted time."))
                .answer(Answer.error(503, "ServerBusy", "The server is currently unable to receive requests. Please retry."))
                .answer(Answer.error(503, "ServerBusy", "The server is currently unable to receive requests. Please retry."));
        assertTransport(false, () -> backend.put("k", utf8("x"), ConditionalPut.ifAbsent()));
        assertTransport(true, () -> backend.put("k", utf8("x"), ConditionalPut.ifAbsent()));
        assertTransport(true, () -> backend.deleteConditional("k", ConditionalDelete.ifVersion(ObjectVersion.of(ETAG))));
        assertTransport(false, () -> backend.read("k"));
    }

    @Test
    void aConnectionBrokenAfterTheRequestLeavesAWriteUnknownButAReadPlainlyFailed() {
        // java.net.http resends an idempotent GET once on a broken connection, never a PUT: three answers for two calls.
        server.answer(new Answer(RecordedBlobServer.Kind.RESET, 0, Map.of(), ""))
                .answer(new Answer(RecordedBlobServer.Kind.RESET, 0, Map.of(), ""))
                .answer(new Answer(RecordedBlobServer.Kind.RESET, 0, Map.of(), ""));
        assertTransport(true, () -> backend.put("k", utf8("x"), ConditionalPut.ifVersion(ObjectVersion.of(ETAG))));
        assertEquals(1, server.seen.size(), "the PUT arrived whole before the connection broke, and was not resent");
        assertTransport(false, () -> backend.read("k"));
    }

    @Test
    void aTimeoutAfterSendingLeavesAWriteUnknown() {
        AzureBlobBackend impatient = backend(new AzureCredential.SharedKey("devstoreaccount1", Secret.of(DEV_KEY)),
                Duration.ofMillis(300));
        server.answer(new Answer(RecordedBlobServer.Kind.HANG, 0, Map.of(), ""));
        BackendException e = assertTransport(true, () -> impatient.put("k", utf8("x"), ConditionalPut.ifAbsent()));
        assertTrue(e.getMessage().contains("may have been applied"), e.getMessage());
    }

    @Test
    void aRefusedConnectionIsAFailureThatWroteNothing() throws Exception {
        URI closed;
        try (RecordedBlobServer gone = new RecordedBlobServer()) {
            closed = gone.endpoint();
        }
        AzureBlobBackend nowhere = new AzureBlobBackend(new AzureSettings("devstoreaccount1", "tenure-it", "", closed,
                new AzureCredential.SharedKey("devstoreaccount1", Secret.of(DEV_KEY)), Duration.ofSeconds(2), Duration.ofSeconds(2), 5000), FIXED);
        assertTransport(false, () -> nowhere.put("k", utf8("x"), ConditionalPut.ifAbsent()));
    }

    private static BackendException assertTransport(boolean ambiguous, Executable call) {
        BackendException e = assertThrows(BackendException.class, call::execute);
        assertEquals(BackendException.Kind.TRANSPORT, e.kind(), e.toString());
        assertEquals(ambiguous, e.ambiguous(), e.toString());
        return e;
    }

    // ---- what a success must carry -------------------------------------------------------------

    @Test
    void aCreateAnsweredWithoutAnETagWasAppliedWithAnUnknownVersion() {
        server.answer(Answer.of(201, Map.of(), ""));
        assertTransport(true, () -> backend.put("k", utf8("x"), ConditionalPut.ifAbsent()));
    }

    @Test
    void contentThatDoesNotMatchTheStoredMd5IsCorruptNeverReturned() {
        server.answer(Answer.of(200, Map.of("ETag", ETAG, "Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="), "hellO"))
                .answer(Answer.of(200, Map.of("ETag", ETAG, "Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="), "hello"));
        BackendException e = assertThrows(BackendException.class, () -> backend.read("k"));
        assertEquals(BackendException.Kind.INTERNAL, e.kind(), e.toString());
        assertArrayEquals(utf8("hello"), backend.read("k").orElseThrow().value());
    }
}
