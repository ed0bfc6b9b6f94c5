package dev.tenure.backend.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.internal.HttpCalls;
import org.junit.jupiter.api.Test;

/** S3's 404 to a conditional PUT: a create-if-absent answered 404 is never "precondition failed". */
class S3ErrorsTest {

    @Test
    void aCreateAnswered404IsNotAPreconditionFailure() {
        BackendException create = S3Errors.mapStatus("k", "b", HttpCalls.putOp(ConditionalPut.ifAbsent()), "PUT k", 404, "NoSuchKey", "", null);
        assertEquals(BackendException.Kind.CONFIG, create.kind(), create.getMessage());
        BackendException ifMatch = S3Errors.mapStatus("k", "b", HttpCalls.putOp(ConditionalPut.ifVersion(new ObjectVersion("e"))),
                "PUT k", 404, "NoSuchKey", "", null);
        assertEquals(BackendException.Kind.PRECONDITION_FAILED, ifMatch.kind());
    }
}
