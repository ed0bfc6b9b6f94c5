package dev.tenure.backend.s3;

import java.util.Objects;

/**
 * Whether an S3 backend sends conditional deletes, as decided when it was opened by racing the
 * store itself, never by the name of its profile: AWS and Ceph RGW from 19 on enforce
 * {@code If-Match} on DELETE, RGW 16 and MinIO accept the header and delete regardless, and GCS
 * enforces {@code x-goog-if-generation-match}. Where the probe did not see the condition enforced
 * (or could not finish), {@link S3Backend#deleteConditional} is refused with a CONFIG error and
 * sends nothing, as on every store that ignores the condition.
 *
 * @param enforced true when the probe saw a stale version refused, the current one accepted, and
 *     a conditional DELETE racing a conditional PUT of the same version never let both win
 * @param evidence what the probe saw, in words, for messages and {@code tenure verify}
 */
public record ConditionalDeleteSupport(boolean enforced, String evidence) {

    /** Rejects a null evidence. */
    public ConditionalDeleteSupport {
        Objects.requireNonNull(evidence, "evidence");
    }

    static ConditionalDeleteSupport notProbed() {
        return new ConditionalDeleteSupport(false, "not probed");
    }
}
