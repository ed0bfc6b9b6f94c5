package dev.tenure.backend.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.s3.RecordedHttpClient.Answer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Cloudflare R2 and DigitalOcean Spaces keep their quirks: one recorded exchange each, a create
 * and an update that loses its race, with the requests as the backend sends them and the answers
 * as the stores document them. No server runs.
 *
 * <ul>
 *   <li>R2 (R2 docs, "Conditional operations" and the S3 API compatibility page): If-None-Match and
 *       If-Match on PutObject, the ETag quoted as returned (an unquoted one is refused with a 400);
 *       a failed condition is 412 PreconditionFailed; region {@code auto}; no aws-chunked uploads.</li>
 *   <li>Spaces (DigitalOcean's Spaces API reference; it runs on Ceph RGW): ETags returned quoted
 *       but accepted in If-Match only unquoted; a failed condition is RGW's 412 body; regions such as
 *       {@code nyc3}.</li>
 * </ul>
 */
class ProfileQuirksRecordedTest {

    private static final String R2_412 = RecordedHttpClient.xmlError("PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold");
    private static final String SPACES_412 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PreconditionFailed</Code>"
            + "<BucketName>tenure-test</BucketName><RequestId>tx00000a1b2c3d4e5f6a7b8-0065f0e1d2-1a2b3c4-nyc3c</RequestId>"
            + "<HostId>1a2b3c4-nyc3c-nyc3-zg03</HostId></Error>";

    private final RecordedHttpClient http = new RecordedHttpClient();

    private S3Backend backend(S3Profile profile, String endpoint, String region) {
        S3Settings s = S3Settings.builder("tenure-test").endpoint(URI.create(endpoint)).region(region).profile(profile)
                .prefix("app/").credentials(S3Credentials.of("AKIDEXAMPLE", "secret-never-shown")).build();
        return new S3Backend(s, S3Backend.client(s, http));
    }

    private static Answer etag(String etag) {
        return Answer.of(200, Map.of("ETag", etag), "");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void assertPlainPayload(RecordedHttpClient.Sent put) {
        assertFalse(put.header("Content-Encoding").map(e -> e.contains("aws-chunked")).orElse(false), put.request().headers().toString());
        assertFalse(put.header("x-amz-content-sha256").map(h -> h.startsWith("STREAMING")).orElse(false));
        assertTrue(put.request().headers().keySet().stream().noneMatch(h -> h.toLowerCase().startsWith("x-amz-checksum-")),
                put.request().headers().toString());
        assertTrue(put.header("Content-MD5").isPresent());
    }

    /** A create, then an update that loses its race; returns the two requests as sent. */
    private RecordedHttpClient.Sent[] createThenLoseARace(S3Backend b, String etag, String lostBody) {
        http.answer(etag(etag)).answer(Answer.of(412, Map.of("Content-Type", "application/xml"), lostBody));
        ObjectVersion v = b.put("lease", utf8("foo"), ConditionalPut.ifAbsent());
        assertEquals(ObjectVersion.of(etag), v, "the version is the ETag as returned");
        BackendException lost = assertThrows(BackendException.class, () -> b.put("lease", utf8("bar"), ConditionalPut.ifVersion(v)));
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, lost.kind());
        assertFalse(lost.ambiguous());
        assertTrue(lost.getMessage().contains("412 PreconditionFailed"), lost.getMessage());
        RecordedHttpClient.Sent create = http.sent.get(0);
        RecordedHttpClient.Sent update = http.sent.get(1);
        assertEquals("/app/lease", create.request().encodedPath());
        assertEquals(Optional.of("*"), create.header("If-None-Match"));
        assertPlainPayload(create);
        assertPlainPayload(update);
        return new RecordedHttpClient.Sent[] {create, update};
    }

    @Test
    void r2GetsQuotedEtagsAndItsLostRaceIsAFailedCondition() {
        S3Backend r2 = backend(S3Profile.R2, "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com", "auto");
        RecordedHttpClient.Sent[] sent = createThenLoseARace(r2, "\"2c26b46b68ffc68ff99b453c1d304134\"", R2_412);
        assertEquals("tenure-test.0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com", sent[0].request().host(),
                "virtual-hosted, which R2 serves");
        assertEquals(Optional.of("\"2c26b46b68ffc68ff99b453c1d304134\""), sent[1].header("If-Match"), "quoted, as R2 requires");
        assertTrue(sent[0].header("Authorization").orElseThrow().contains("/auto/s3/aws4_request"));
    }

    @Test
    void spacesGetsUnquotedEtagsAndItsLostRaceIsAFailedCondition() {
        S3Backend spaces = backend(S3Profile.SPACES, "https://nyc3.digitaloceanspaces.com", "nyc3");
        RecordedHttpClient.Sent[] sent = createThenLoseARace(spaces, "\"acbd18db4cc2f85cedef654fccc4a4d8\"", SPACES_412);
        assertEquals("tenure-test.nyc3.digitaloceanspaces.com", sent[0].request().host(), "virtual-hosted, as Spaces documents");
        assertEquals(Optional.of("acbd18db4cc2f85cedef654fccc4a4d8"), sent[1].header("If-Match"), "unquoted, as Spaces requires");
        assertTrue(sent[0].header("Authorization").orElseThrow().contains("/nyc3/s3/aws4_request"));
    }
}
