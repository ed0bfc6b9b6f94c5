package dev.tenure.backend.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ObjectVersion;
import static dev.tenure.backend.s3.RecordedHttpClient.xmlError;

import dev.tenure.backend.s3.RecordedHttpClient.Answer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The open-time probe that decides whether an S3 backend sends conditional deletes, against
 * recorded exchanges. No server runs. Each recording is the probe's whole conversation:
 *
 * <ul>
 *   <li>AWS (written from the S3 user guide's "conditional deletes" and the DeleteObject reference:
 *       {@code If-Match} on DELETE is honoured on general-purpose buckets, a mismatch answers 412
 *       PreconditionFailed, a match 204);</li>
 *   <li>MinIO (minio issue 21677: the header is accepted and the object deleted regardless, 204);</li>
 *   <li>Ceph RGW 16.2.15 (measured on this machine, see {@code RgwConditionalDeleteProbeIT}: the same as
 *       MinIO, a stale If-Match deletes);</li>
 *   <li>a store that checks the condition and then deletes in a second step, so that sequential
 *       requests look right and only the race shows the fault (made up, to prove the race can fail).</li>
 * </ul>
 */
class ConditionalDeleteProbeRecordedTest {

    private static final String AWS_412 = xmlError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    private static final String AWS_SLOW_DOWN = xmlError("SlowDown", "Please reduce your request rate.");

    private final RecordedHttpClient http = new RecordedHttpClient();

    private S3Backend open(S3Profile profile) {
        S3Settings settings = RecordedHttpClient.settings(profile, "secret-never-shown");
        return S3Backend.open(settings, S3Backend.client(settings, http));
    }

    private static Answer etag(String etag) {
        return Answer.of(200, Map.of("ETag", etag), "");
    }

    private static Answer status(int status) {
        return Answer.of(status, Map.of(), "");
    }

    /** The sequential half: create, overwrite, then a stale and a current conditional DELETE. */
    private void sequentialStart() {
        http.answerFor("PUT", etag("\"v1\"")).answerFor("PUT", etag("\"v2\""));
    }

    @Test
    void awsEnforcesConditionalDeleteSoTheBackendSendsIt() {
        sequentialStart();
        http.answerFor("DELETE", Answer.of(412, Map.of("Content-Type", "application/xml"), AWS_412)); // stale v1
        http.answerFor("HEAD", etag("\"v2\""));                                                      // survived
        http.answerFor("DELETE", status(204));                                                      // current v2
        http.answerFor("HEAD", status(404));                                                         // gone
        for (int round = 0; round < ConditionalDeleteProbe.RACE_ROUNDS; round++) {
            http.answerFor("PUT", etag("\"base\""));
            // The race: the DELETE wins, so the rival PUT If-Match "base" finds nothing (AWS: 404 NoSuchKey) ...
            http.answerFor("DELETE", status(204));
            http.answerFor("PUT", status(404));
            http.answerFor("HEAD", status(404)); // ... and the object is gone.
        }
        S3Backend b = open(S3Profile.AWS);
        assertTrue(b.conditionalDeletes().enforced(), b.conditionalDeletes().evidence());
        List<RecordedHttpClient.Sent> deletes = http.sent("DELETE");
        assertEquals(2 + ConditionalDeleteProbe.RACE_ROUNDS, deletes.size());
        assertEquals(Optional.of("\"v1\""), deletes.get(0).header("If-Match"), "the stale version, quoted as the aws profile says");
        assertEquals(Optional.of("\"v2\""), deletes.get(1).header("If-Match"));
        assertTrue(deletes.get(0).request().encodedPath().startsWith("/tenure-test/app/tenure-probe/"),
                deletes.get(0).request().encodedPath());
        for (RecordedHttpClient.Sent d : deletes) {
            assertTrue(d.header("If-Match").isPresent(), "every probe DELETE is conditional");
        }

        int before = http.sent.size();
        http.answer(status(204));
        b.deleteConditional("k", ConditionalDelete.ifVersion(ObjectVersion.of("\"e\"")));
        assertEquals(Optional.of("\"e\""), http.sent.get(before).header("If-Match"));
    }

    @Test
    void minioIgnoresIfMatchOnDeleteSoTheBackendRefusesAndSaysWhy() {
        sequentialStart();
        http.answerFor("DELETE", status(204)); // stale v1, deleted regardless
        http.answerFor("HEAD", status(404));
        http.answerFor("DELETE", status(204)); // the clean-up of what the probe wrote
        S3Backend b = open(S3Profile.MINIO);
        assertFalse(b.conditionalDeletes().enforced());
        assertTrue(b.conditionalDeletes().evidence().contains("a DELETE with a stale version was answered as a success and deleted"
                + " the object"), b.conditionalDeletes().evidence());
        assertEquals(2, http.sent("DELETE").size(), "the stale delete, then the clean-up; no race is run");
        assertFalse(http.sent("DELETE").get(1).header("If-Match").isPresent(), "the clean-up is unconditional");

        int before = http.sent.size();
        BackendException e = assertThrows(BackendException.class,
                () -> b.deleteConditional("k", ConditionalDelete.ifVersion(ObjectVersion.of("\"e\""))));
        assertEquals(BackendException.Kind.CONFIG, e.kind());
        assertTrue(e.getMessage().contains("deleted the object") && e.getMessage().contains("refuses conditional deletes"),
                e.getMessage());
        assertEquals(before, http.sent.size(), "nothing is sent");
    }

    @Test
    void aStoreWhoseCheckAndDeleteAreTwoStepsPassesSequentiallyAndIsCaughtByTheRace() {
        sequentialStart();
        http.answerFor("DELETE", Answer.of(412, Map.of("Content-Type", "application/xml"), AWS_412));
        http.answerFor("HEAD", etag("\"v2\""));
        http.answerFor("DELETE", status(204));
        http.answerFor("HEAD", status(404));
        // Round 1: both see "base" current; the PUT lands, then the DELETE removes it.
        http.answerFor("PUT", etag("\"base\""));
        http.answerFor("DELETE", status(204));
        http.answerFor("PUT", etag("\"rival\""));
        http.answerFor("HEAD", status(404));
        http.answerFor("DELETE", status(204)); // clean-up
        S3Backend b = open(S3Profile.GENERIC);
        assertFalse(b.conditionalDeletes().enforced());
        assertTrue(b.conditionalDeletes().evidence().contains("both succeeded in race round 1"), b.conditionalDeletes().evidence());
    }

    @Test
    void aProbeWhoseOutcomeIsUnknownIsNotTrusted() {
        sequentialStart();
        // A 503 to the stale DELETE: it may or may not have been applied; the probe cannot know.
        http.answerFor("DELETE", Answer.of(503, Map.of("Content-Type", "application/xml"), AWS_SLOW_DOWN));
        http.answerFor("DELETE", status(204)); // clean-up
        S3Backend b = open(S3Profile.AWS);
        assertFalse(b.conditionalDeletes().enforced());
        assertTrue(b.conditionalDeletes().evidence().contains("could not finish") && b.conditionalDeletes().evidence().contains("503"),
                b.conditionalDeletes().evidence());
    }

    @Test
    void aStoreThatRefusesTheCurrentVersionCannotUseTheCondition() {
        sequentialStart();
        http.answerFor("DELETE", Answer.of(412, Map.of("Content-Type", "application/xml"), AWS_412));
        http.answerFor("HEAD", etag("\"v2\""));
        http.answerFor("DELETE", Answer.of(412, Map.of("Content-Type", "application/xml"), AWS_412));
        http.answerFor("DELETE", status(204)); // clean-up
        S3Backend b = open(S3Profile.AWS);
        assertFalse(b.conditionalDeletes().enforced());
        assertTrue(b.conditionalDeletes().evidence().contains("a DELETE with the current version was refused"),
                b.conditionalDeletes().evidence());
    }
}
