package dev.tenure.backend.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.uri.BackendUris;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import static dev.tenure.backend.s3.RecordedHttpClient.xmlError;

import dev.tenure.backend.s3.RecordedHttpClient.Answer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Google Cloud Storage through its XML API (the gcs profile, {@code gs://} URIs), against
 * recordings: the requests as the backend sends them, and answers written from Google's public
 * documentation, since no GCS server can run here. Sources: "Request preconditions"
 * ({@code x-goog-if-generation-match}: the request proceeds only if the object's generation
 * matches, 0 meaning no live object; otherwise 412 Precondition Failed), "HTTP headers and query
 * string parameters for XML API" ({@code x-goog-generation} and {@code x-goog-meta-*} in answers),
 * "HTTP status and error codes for XML" (the {@code <Error><Code>...</Code><Message>...</Message></Error>}
 * body; 304 NotModified, 404, 412, 429, 503), and "Simple migration from Amazon S3" (HMAC keys,
 * AWS V4 signatures). Generations are made-up numbers of the documented form (microseconds).
 */
class GcsRecordedTest {

    private static final String G1 = "1764400000000001";
    private static final String G2 = "1764400000000002";
    private static final String G3 = "1764400000000003";
    private static final String PRECONDITION_FAILED = xmlError("PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold.");
    private static final String NOT_MODIFIED = xmlError("NotModified",
            "The resource you requested has not been modified according to the condition you specified.");
    private static final String NO_SUCH_KEY = xmlError("NoSuchKey", "The specified key does not exist.");
    private static final String NO_SUCH_BUCKET = xmlError("NoSuchBucket", "The specified bucket does not exist.");
    private static final String TOO_MANY = xmlError("SlowDown", "Please reduce your request rate.");
    private static final String UNAVAILABLE = xmlError("ServiceUnavailable", "We encountered an internal error. Please try again.");

    private final RecordedHttpClient http = new RecordedHttpClient();

    private static S3Settings settings() {
        return S3Settings.fromUri("gs://tenure-test/app");
    }

    private S3Backend backend() {
        S3Settings s = settings().toBuilder().credentials(S3Credentials.of("GOOGTS7C7FUP3AIRVJTE2BCD", "hmac-secret-never-shown")).build();
        return new S3Backend(s, S3Backend.client(s, http), new ConditionalDeleteSupport(true, "recorded"));
    }

    private static Answer written(String generation) {
        // An MD5 ETag comes too, but on GCS the version is the generation.
        return Answer.of(200, Map.of("ETag", "\"6d0bb00954ceb7fbee436bb55a8397a9\"", "x-goog-generation", generation,
                "x-goog-metageneration", "1"), "");
    }

    private static Answer error(int status, String body) {
        return Answer.of(status, Map.of("Content-Type", "application/xml; charset=UTF-8"), body);
    }

    // ---- URIs ----------------------------------------------------------------------------------

    @Test
    void aGsUriIsTheXmlApiWithTheGcsProfile() {
        S3Settings s = settings();
        assertEquals(S3Profile.GCS, s.profile());
        assertEquals(Optional.of(S3Settings.GCS_ENDPOINT), s.endpoint());
        assertEquals("auto", s.region());
        assertEquals("app/", s.prefix());
        assertTrue(s.pathStyle(), "storage.googleapis.com/bucket/object, which also serves bucket names with '_'");
        assertEquals("tenure_test", S3Settings.fromUri("gs://tenure_test").bucket());
        BackendException other = assertThrows(BackendException.class, () -> S3Settings.fromUri("gs://bkt?profile=ceph"));
        assertTrue(other.getMessage().contains("always uses the gcs profile"), other.getMessage());
        BackendException creds = assertThrows(BackendException.class, () -> S3Settings.fromUri("gs://GOOG1:topsecret@bkt"));
        assertFalse(creds.getMessage().contains("topsecret"), creds.getMessage());
        assertEquals(S3Profile.GCS, S3Settings.fromUri("s3://bkt?profile=gcs").profile());
        assertEquals(Optional.of(S3Settings.GCS_ENDPOINT), S3Settings.fromUri("s3://bkt?profile=gcs").endpoint());
        BackendException unknown = assertThrows(BackendException.class, () -> BackendUris.openAtomic("gcs://bkt"));
        assertTrue(unknown.getMessage().contains("gs://bucket/prefix"), unknown.getMessage());
    }

    // ---- what is sent --------------------------------------------------------------------------

    @Test
    void createIsGenerationMatchZeroAndTheVersionIsTheGenerationOfTheAnswer() {
        S3Backend b = backend();
        http.answer(written(G1));
        ObjectVersion v = b.put("lease", utf8("record"), ConditionalPut.ifAbsent());
        assertEquals(ObjectVersion.of(G1), v, "the generation, not the ETag");
        RecordedHttpClient.Sent put = http.sent.get(0);
        assertEquals("PUT", put.request().method().name());
        assertEquals("storage.googleapis.com", put.request().host());
        assertEquals("/tenure-test/app/lease", put.request().encodedPath());
        assertEquals(Optional.of("0"), put.header("x-goog-if-generation-match"));
        assertEquals(Optional.empty(), put.header("If-None-Match"), "GCS ignores it on writes");
        assertEquals(Optional.empty(), put.header("If-Match"));
        assertEquals(Optional.of(sha256Hex("record")), put.header("x-goog-meta-tenure-sha256"));
        assertEquals(Optional.empty(), put.header("x-amz-meta-tenure-sha256"));
        assertTrue(put.header("Content-MD5").isPresent());
        assertFalse(put.header("Content-Encoding").map(e -> e.contains("aws-chunked")).orElse(false), "GCS knows no aws-chunked");
        String authorization = put.header("Authorization").orElseThrow();
        assertTrue(authorization.startsWith("AWS4-HMAC-SHA256 Credential=GOOGTS7C7FUP3AIRVJTE2BCD/") && authorization.contains("/auto/s3/"),
                authorization);
        assertTrue(authorization.contains("x-goog-if-generation-match"), "the precondition is signed: " + authorization);
        assertFalse(authorization.contains("hmac-secret-never-shown"));
        assertArrayEquals(utf8("record"), put.body());
    }

    @Test
    void anUpdateSendsTheGenerationReadAndADeleteToo() {
        S3Backend b = backend();
        http.answer(written(G2)).answer(Answer.of(204, Map.of(), ""));
        assertEquals(ObjectVersion.of(G2), b.put("lease", utf8("x"), ConditionalPut.ifVersion(ObjectVersion.of(G1))));
        b.deleteConditional("lease", ConditionalDelete.ifVersion(ObjectVersion.of(G2)));
        assertEquals(Optional.of(G1), http.sent.get(0).header("x-goog-if-generation-match"));
        assertEquals(Optional.empty(), http.sent.get(0).header("If-Match"));
        assertEquals("DELETE", http.sent.get(1).request().method().name());
        assertEquals(Optional.of(G2), http.sent.get(1).header("x-goog-if-generation-match"));
        assertEquals(Optional.empty(), http.sent.get(1).header("If-Match"));
    }

    @Test
    void aVersionThatIsNoGenerationFailsItsConditionWithoutARequest() {
        S3Backend b = backend();
        for (String token : List.of("\"9dd4e461\"", "0", "-1", "abc")) {
            BackendException e = assertThrows(BackendException.class,
                    () -> b.put("k", utf8("x"), ConditionalPut.ifVersion(ObjectVersion.of(token))));
            assertEquals(BackendException.Kind.PRECONDITION_FAILED, e.kind(), token);
            BackendException d = assertThrows(BackendException.class,
                    () -> b.deleteConditional("k", ConditionalDelete.ifVersion(ObjectVersion.of(token))));
            assertEquals(BackendException.Kind.PRECONDITION_FAILED, d.kind(), token);
        }
        assertEquals(0, http.sent.size());
    }

    // ---- how answers are read ------------------------------------------------------------------

    @Test
    void readTakesBodyAndGenerationFromOneAnswerAndChecksTheDigest() {
        http.answer(Answer.of(200, Map.of("ETag", "\"md5\"", "x-goog-generation", G3, "x-goog-meta-tenure-sha256", sha256Hex("record")),
                "record"));
        http.answer(Answer.of(200, Map.of("ETag", "\"md5\"", "x-goog-generation", G3, "x-goog-meta-tenure-sha256", sha256Hex("other")),
                "record"));
        http.answer(Answer.of(200, Map.of("ETag", "\"md5\"", "x-goog-generation", G3), ""));
        S3Backend b = backend();
        var read = b.read("k").orElseThrow();
        assertArrayEquals(utf8("record"), read.value());
        assertEquals(ObjectVersion.of(G3), read.version());
        assertEquals(1, http.sent.size(), "one GET");
        BackendException corrupt = assertThrows(BackendException.class, () -> b.read("k"));
        assertEquals(BackendException.Kind.INTERNAL, corrupt.kind());
        assertTrue(corrupt.getMessage().contains("corrupt"), corrupt.getMessage());
        assertEquals(Optional.of(ObjectVersion.of(G3)), b.objectVersion("k"));
        assertEquals("HEAD", http.sent.get(2).request().method().name());
    }

    @Test
    void lostRaces412And304ArePreconditionFailedAndNotAmbiguous() {
        http.answer(error(412, PRECONDITION_FAILED)).answer(error(412, PRECONDITION_FAILED)).answer(error(304, NOT_MODIFIED));
        S3Backend b = backend();
        BackendException create = assertThrows(BackendException.class, () -> b.put("k", utf8("x"), ConditionalPut.ifAbsent()));
        BackendException delete = assertThrows(BackendException.class,
                () -> b.deleteConditional("k", ConditionalDelete.ifVersion(ObjectVersion.of(G1))));
        BackendException update = assertThrows(BackendException.class,
                () -> b.put("k", utf8("x"), ConditionalPut.ifVersion(ObjectVersion.of(G1))));
        for (BackendException e : List.of(create, delete, update)) {
            assertEquals(BackendException.Kind.PRECONDITION_FAILED, e.kind(), e.getMessage());
            assertFalse(e.ambiguous());
        }
        assertTrue(create.getMessage().contains("412 PreconditionFailed"), create.getMessage());
    }

    @Test
    void notFoundIsAbsentForReadsAFailedConditionForAnUpdateAndConfigForAMissingBucket() {
        http.answer(error(404, NO_SUCH_KEY)).answer(Answer.of(404, Map.of(), "")).answer(error(404, NO_SUCH_KEY))
                .answer(error(404, NO_SUCH_BUCKET));
        S3Backend b = backend();
        assertEquals(Optional.empty(), b.read("k"));
        assertFalse(b.exists("k"));
        BackendException update = assertThrows(BackendException.class,
                () -> b.put("k", utf8("x"), ConditionalPut.ifVersion(ObjectVersion.of(G1))));
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, update.kind());
        BackendException bucket = assertThrows(BackendException.class, () -> b.put("k", utf8("x"), ConditionalPut.ifAbsent()));
        assertEquals(BackendException.Kind.CONFIG, bucket.kind());
    }

    @Test
    void throttlingAndUnavailabilityAreTransientAndAWriteWhoseOutcomeIsUnknownStaysUnknown() {
        http.answer(error(429, TOO_MANY)).answer(error(503, UNAVAILABLE)).answer(error(503, UNAVAILABLE)).answer(error(503, UNAVAILABLE));
        S3Backend b = backend();
        BackendException throttled = assertThrows(BackendException.class, () -> b.put("k", utf8("x"), ConditionalPut.ifAbsent()));
        assertEquals(BackendException.Kind.TRANSPORT, throttled.kind());
        assertTrue(throttled.retryable() && !throttled.ambiguous(), "429: refused before anything was done");
        BackendException write = assertThrows(BackendException.class,
                () -> b.put("k", utf8("x"), ConditionalPut.ifVersion(ObjectVersion.of(G1))));
        assertTrue(write.retryable() && write.ambiguous(), "503 to a write: it may have been applied");
        BackendException delete = assertThrows(BackendException.class,
                () -> b.deleteConditional("k", ConditionalDelete.ifVersion(ObjectVersion.of(G1))));
        assertTrue(delete.retryable() && delete.ambiguous());
        BackendException read = assertThrows(BackendException.class, () -> b.read("k"));
        assertTrue(read.retryable() && !read.ambiguous());
        assertEquals(4, http.sent.size(), "never retried by the client");
    }

    @Test
    void aSuccessfulWriteWithoutAGenerationIsAmbiguous() {
        http.answer(Answer.of(200, Map.of("ETag", "\"md5\""), ""));
        BackendException e = assertThrows(BackendException.class, () -> backend().put("k", utf8("x"), ConditionalPut.ifAbsent()));
        assertEquals(BackendException.Kind.TRANSPORT, e.kind());
        assertTrue(e.ambiguous() && e.getMessage().contains("without an x-goog-generation header"), e.getMessage());
    }

    // ---- the open-time probe -------------------------------------------------------------------

    /** GCS documents generation preconditions on DELETE; the probe still proves it before using them. */
    @Test
    void theOpenTimeProbeSeesGenerationPreconditionsOnDeleteEnforced() {
        http.answerFor("PUT", written(G1)).answerFor("PUT", written(G2));
        http.answerFor("DELETE", error(412, PRECONDITION_FAILED));
        http.answerFor("HEAD", Answer.of(200, Map.of("x-goog-generation", G2), ""));
        http.answerFor("DELETE", Answer.of(204, Map.of(), ""));
        http.answerFor("HEAD", Answer.of(404, Map.of(), ""));
        for (int round = 0; round < ConditionalDeleteProbe.RACE_ROUNDS; round++) {
            http.answerFor("PUT", written(G3));
            // This time the PUT wins the race, and the DELETE of the replaced generation is refused.
            http.answerFor("PUT", written("17644000000001" + (10 + round)));
            http.answerFor("DELETE", error(412, PRECONDITION_FAILED));
            http.answerFor("HEAD", Answer.of(200, Map.of("x-goog-generation", "17644000000001" + (10 + round)), ""));
        }
        for (int round = 0; round < ConditionalDeleteProbe.RACE_ROUNDS; round++) {
            http.answerFor("DELETE", Answer.of(204, Map.of(), "")); // the clean-up of the rivals' objects
        }
        S3Settings s = settings().toBuilder().credentials(S3Credentials.of("GOOGTS7C7FUP3AIRVJTE2BCD", "hmac-secret")).build();
        S3Backend b = S3Backend.open(s, S3Backend.client(s, http));
        assertTrue(b.conditionalDeletes().enforced(), b.conditionalDeletes().evidence());
        List<RecordedHttpClient.Sent> deletes = http.sent("DELETE");
        assertEquals(Optional.of(G1), deletes.get(0).header("x-goog-if-generation-match"), "the stale generation");
        assertEquals(Optional.of(G2), deletes.get(1).header("x-goog-if-generation-match"), "the current generation");
        assertEquals(Optional.of("0"), http.sent("PUT").get(0).header("x-goog-if-generation-match"));
        assertTrue(b.name().startsWith("gs://tenure-test/app/"), b.name());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(utf8(s)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
