package dev.tenure.backend.azure;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.internal.HttpCalls;
import dev.tenure.backend.internal.HttpCalls.Op;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps Blob Storage's answers to backend errors, per the table in {@code docs/backends.md}: what
 * Azure says through its error code first, then the table every HTTP backend shares
 * ({@link HttpCalls#statusError}).
 */
final class AzureErrors {

    private static final Pattern CODE = Pattern.compile("<Code>([^<]*)</Code>");
    private static final Pattern MESSAGE = Pattern.compile("<Message>([^<]*)</Message>");

    private AzureErrors() {
    }

    /** The error code of an answer: the {@code x-ms-error-code} header, else the body's {@code <Code>}; may be empty. */
    static String code(String header, String body) {
        if (header != null && !header.isBlank()) {
            return header.strip();
        }
        Matcher m = CODE.matcher(body);
        return m.find() ? m.group(1).strip() : "";
    }

    /**
     * The error for an answer the caller did not expect.
     *
     * @param body the answer's text, already stripped of anything secret; may be empty
     */
    static BackendException map(String key, String container, Op op, String where, int status, String code, String body) {
        Matcher m = MESSAGE.matcher(body);
        // Azure's messages end with a request id and a time on further lines: the first line says it.
        String message = m.find() ? m.group(1).strip().split("\\R", 2)[0] : "";
        String detail = code + (message.isEmpty() ? "" : (code.isEmpty() ? "" : ": ") + message);
        String answer = where + ": HTTP " + status + (detail.isEmpty() ? "" : " (" + HttpCalls.abbreviate(detail) + ")");
        if (code.startsWith("Lease")) {
            // An Azure blob lease someone took (LeaseIdMissing is a 412): not a lost race, so never
            // PRECONDITION_FAILED, or the caller would re-read the same version and try again forever.
            return BackendException.config(key, answer + ": an Azure blob lease is held on this blob or container;"
                    + " Tenure sends no lease id (its own lease record is the protocol): break the Azure lease", null);
        }
        if (status == 409) {
            if (code.equals("BlobAlreadyExists")) {
                return BackendException.preconditionFailed(key, answer);
            }
            // 409 is a refusal: nothing was applied, and asking again gets the same answer.
            return BackendException.config(key, answer + ": the store refuses this request in the container's"
                    + " or the blob's current state", null);
        }
        if (status == 404 && code.equals("ContainerNotFound")) {
            return BackendException.config(key, answer + ": container '" + container + "' does not exist; create it first", null);
        }
        if (status == 400 && (code.equals("Md5Mismatch") || code.equals("Crc64Mismatch"))) {
            // The body was damaged on the way and the store refused it: nothing was written.
            return BackendException.transport(key, false, answer, null);
        }
        if (status == 400 && code.equals("InvalidHeaderValue") && message.contains("x-ms-version")) {
            return BackendException.config(key, answer + ": this server does not know API version "
                    + AzureBlobBackend.API_VERSION + " (Azurite before 3.37.0?)", null);
        }
        return HttpCalls.statusError(key, op, where, status, detail);
    }
}
