package dev.tenure.backend.s3;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.internal.HttpCalls;
import dev.tenure.backend.internal.HttpCalls.Op;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/** Maps S3 answers and client failures to backend errors, per the table in {@code docs/backends.md}. */
final class S3Errors {

    private S3Errors() {
    }

    /**
     * The credentials provider found none: nothing was signed, so nothing was sent. Carries no
     * credential, only where they were looked for.
     */
    static final class MissingCredentials extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MissingCredentials(String source, Throwable cause) {
            super("no S3 credentials could be loaded from the " + source, cause);
        }
    }

    static BackendException map(String key, String bucket, Op op, SdkException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MissingCredentials missing) {
                // Before any request left: a configuration error, never "the write may have been applied".
                return BackendException.config(key, missing.getMessage() + " for bucket '" + bucket + "': set"
                        + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the aws.accessKeyId and aws.secretAccessKey system"
                        + " properties, or a profile (AWS_PROFILE, ~/.aws/credentials); for GCS, an HMAC key's access id and"
                        + " secret", e);
            }
        }
        String where = "S3 " + op.name().toLowerCase().replace('_', ' ') + (key != null ? " of '" + key + "'" : "")
                + " in bucket '" + bucket + "'";
        if (e instanceof AwsServiceException service) {
            return mapStatus(key, bucket, op, where, service.statusCode(), errorCode(service), errorMessage(service), e);
        }
        if (HttpCalls.neverSent(e)) {
            return BackendException.transport(key, false, where + ": cannot connect: " + HttpCalls.describe(e), e);
        }
        // A timeout or a reset after the request left: a mutation may have been applied.
        return BackendException.transport(key, op.mutation(), where + ": " + HttpCalls.describe(e)
                + (op.mutation() ? " (the write may have been applied)" : ""), e);
    }

    static BackendException mapStatus(String key, String bucket, Op op, String where, int status, String code,
            String message, Throwable cause) {
        String answer = where + ": " + status + (code.isEmpty() ? "" : " " + code) + (message.isEmpty() ? "" : " (" + message + ")");
        switch (status) {
            case 412:
                return BackendException.preconditionFailed(key, answer);
            case 304:
                if (op.conditional()) {
                    return BackendException.preconditionFailed(key, answer);
                }
                return BackendException.internal(key, answer, cause);
            case 409:
                if (code.equals("ConditionalRequestConflict")) {
                    return BackendException.preconditionFailed(key, answer);
                }
                if (code.equals("BucketAlreadyExists") || code.equals("BucketNotEmpty")) {
                    return BackendException.config(key, answer, cause);
                }
                return BackendException.transport(key, op.mutation(), answer, cause);
            case 404:
                if (code.equals("NoSuchBucket")) {
                    return BackendException.config(key, answer + ": bucket '" + bucket + "' does not exist", cause);
                }
                if (op == Op.CREATE) {
                    // Not "precondition failed": the caller would re-read, find nothing, and ask again forever.
                    return BackendException.config(key, answer + ": a create-if-absent was answered 404: the bucket"
                            + " or the endpoint's route does not exist", cause);
                }
                if (op.conditional()) {
                    return BackendException.preconditionFailed(key, answer + ": the object does not exist");
                }
                return BackendException.notFound(key, answer);
            case 401:
            case 403:
                return BackendException.auth(key, answer + ": check the credentials and the bucket policy", cause);
            case 400:
                if (code.equals("RequestTimeout") || code.equals("BadDigest")) {
                    // BadDigest: the body was corrupted on the way and the store refused it; nothing was written.
                    return BackendException.transport(key, code.equals("RequestTimeout") && op.mutation(), answer, cause);
                }
                if (code.equals("XAmzContentSHA256Mismatch")) {
                    return BackendException.config(key, answer + ": this store rejects the SDK's payload checksums;"
                            + " use the ceph or generic profile", cause);
                }
                if (code.equals("AuthorizationHeaderMalformed")) {
                    return BackendException.config(key, answer + ": wrong region for this bucket?", cause);
                }
                return BackendException.config(key, answer, cause);
            case 301:
            case 307:
                return BackendException.config(key, answer + ": wrong region or endpoint for this bucket", cause);
            case 501:
                return BackendException.config(key, answer + ": the store does not implement this request"
                        + (op.conditional() ? " (conditional headers unsupported?)" : ""), cause);
            case 429:
                return BackendException.transport(key, false, answer + ": throttled", cause);
            default:
                if (status >= 500) {
                    return BackendException.transport(key, op.mutation(), answer
                            + (op.mutation() ? " (the write may have been applied)" : ""), cause);
                }
                return BackendException.internal(key, answer, cause);
        }
    }

    private static String errorCode(AwsServiceException e) {
        return e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null ? "" : e.awsErrorDetails().errorCode();
    }

    private static String errorMessage(AwsServiceException e) {
        return e.awsErrorDetails() == null || e.awsErrorDetails().errorMessage() == null ? "" : e.awsErrorDetails().errorMessage();
    }
}
