package dev.tenure.it.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.s3.ConditionalDeleteSupport;
import dev.tenure.backend.s3.S3Backend;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Ceph RGW 16 accepts {@code If-Match} on DELETE and deletes regardless: the open-time probe must
 * see that on the real server and leave conditional deletes refused, whatever the profile's name.
 */
class RgwConditionalDeleteProbeIT {

    @Test
    void theOpenTimeProbeFindsThatRgw16DeletesDespiteAStaleVersionAndConditionalDeletesStayRefused() {
        try (S3Backend rgw = S3Backend.open(S3TestServers.rgw())) {
            ConditionalDeleteSupport deletes = rgw.conditionalDeletes();
            System.out.println("[rgw] " + deletes);
            assertFalse(deletes.enforced(), deletes.evidence());
            assertTrue(deletes.evidence().contains("a DELETE with a stale version was answered as a success and deleted the object"),
                    deletes.evidence());
            assertEquals(0, rgw.list("tenure-probe/").size(), "the probe removes what it wrote");

            String key = "delete-probe-it/" + UUID.randomUUID();
            ObjectVersion v = rgw.put(key, "kept".getBytes(StandardCharsets.UTF_8), ConditionalPut.ifAbsent());
            BackendException refused = assertThrows(BackendException.class,
                    () -> rgw.deleteConditional(key, ConditionalDelete.ifVersion(v)));
            assertEquals(BackendException.Kind.CONFIG, refused.kind());
            assertTrue(refused.getMessage().contains("open-time probe"), refused.getMessage());
            assertEquals(v, rgw.objectVersion(key).orElseThrow(), "nothing was sent, so the object is still there");
            rgw.delete(key);
        }
    }
}
