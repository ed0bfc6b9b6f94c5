package dev.tenure.backend.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import org.junit.jupiter.api.Test;

/** How a 404 to a conditional PUT reads: never "precondition failed" for a create-if-absent, whose precondition is absence. */
class HttpCallsTest {

    private static BackendException put404(ConditionalPut condition) {
        return HttpCalls.statusError("leases/writer", HttpCalls.putOp(condition), "PUT leases/writer", 404, "Not Found");
    }

    @Test
    void aCreateAnswered404IsAConfigurationErrorNotAPreconditionFailure() {
        BackendException e = put404(ConditionalPut.ifAbsent());
        assertEquals(BackendException.Kind.CONFIG, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void anIfMatchAnswered404MeansTheVersionIsGone() {
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, put404(ConditionalPut.ifVersion(new ObjectVersion("\"e1\""))).kind());
        assertEquals(BackendException.Kind.NOT_FOUND, put404(null).kind());
    }
}
