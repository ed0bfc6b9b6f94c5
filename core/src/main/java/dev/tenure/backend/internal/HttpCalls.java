package dev.tenure.backend.internal;

import dev.tenure.backend.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.UnresolvedAddressException;
import java.security.MessageDigest;

/**
 * Sends requests for the backends that speak HTTP through {@code java.net.http} and turns what
 * goes wrong into {@link BackendException}s, following the table in {@code docs/backends.md}.
 */
public final class HttpCalls {

    /** What a request does; decides ambiguity and how 404 and 412 read. */
    public enum Op {
        /** A read: never ambiguous. */
        READ(false, false),
        /** An unconditional write. */
        WRITE(true, false),
        /** A write with {@code If-Match}: a 404 means the object it names is gone, so its precondition failed. */
        CONDITIONAL_WRITE(true, true),
        /**
         * A write with {@code If-None-Match: *}: its precondition is that the object is absent, so a
         * 404 cannot mean the precondition failed (a missing bucket, collection or route instead).
         */
        CREATE(true, true),
        /** An unconditional delete. */
        DELETE(true, false),
        /** A delete with a precondition. */
        CONDITIONAL_DELETE(true, true),
        /** A listing. */
        LIST(false, false);

        private final boolean mutation;
        private final boolean conditional;

        Op(boolean mutation, boolean conditional) {
            this.mutation = mutation;
            this.conditional = conditional;
        }

        /** True when the request may change the store, so a lost answer leaves its outcome unknown. */
        public boolean mutation() {
            return mutation;
        }

        /** True when the request carries a precondition. */
        public boolean conditional() {
            return conditional;
        }
    }

    private HttpCalls() {
    }

    /** The operation of a PUT with {@code condition} ({@code null}: unconditional). */
    public static Op putOp(dev.tenure.backend.ConditionalPut condition) {
        if (condition == null) {
            return Op.WRITE;
        }
        return condition instanceof dev.tenure.backend.ConditionalPut.IfAbsent ? Op.CREATE : Op.CONDITIONAL_WRITE;
    }

    /**
     * Sends {@code request} and returns the response whatever its status, or throws TRANSPORT
     * when no response arrived: ambiguous for a mutation unless the connection was never made.
     *
     * @param where names the operation and key for messages; never holds a secret
     */
    public static <T> HttpResponse<T> send(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> body,
            String key, Op op, String where) {
        try {
            return client.send(request, body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw BackendException.transport(key, op.mutation(), where + ": interrupted"
                    + (op.mutation() ? " (the write may have been applied)" : ""), e);
        } catch (IOException | UnresolvedAddressException e) {
            if (neverSent(e)) {
                return failNotSent(key, where, e);
            }
            throw BackendException.transport(key, op.mutation(), where + ": " + describe(e)
                    + (op.mutation() ? " (the write may have been applied)" : ""), e);
        }
    }

    private static <T> T failNotSent(String key, String where, Throwable e) {
        throw BackendException.transport(key, false, where + ": cannot connect: " + describe(e), e);
    }

    /**
     * The error for an HTTP status that the caller did not expect, by the shared table: 412 is
     * PRECONDITION_FAILED; 401 and 403 are AUTH and never "absent"; 404 is NOT_FOUND (or
     * PRECONDITION_FAILED for a request conditional on an existing version, CONFIG for a create:
     * the object's absence is that request's precondition, so something else is missing); 400, 405, 411, 413, 414, 415 and 501 are
     * CONFIG; 408, 425, 429 and 5xx are TRANSPORT (ambiguous for a mutation, except 429, which
     * was refused before any work); anything else is INTERNAL.
     *
     * @param detail the server's explanation, already stripped of anything secret; may be empty
     */
    public static BackendException statusError(String key, Op op, String where, int status, String detail) {
        String answer = where + ": HTTP " + status + (detail == null || detail.isBlank() ? "" : " (" + abbreviate(detail) + ")");
        switch (status) {
            case 412:
                return BackendException.preconditionFailed(key, answer);
            case 401:
            case 403:
                return BackendException.auth(key, answer + ": check the credentials and the server's permissions", null);
            case 404:
                if (op == Op.CREATE) {
                    // Not "precondition failed": the caller would re-read, find nothing, and ask again forever.
                    return BackendException.config(key, answer + ": a create-if-absent was answered 404: the bucket,"
                            + " the parent collection or the route does not exist", null);
                }
                if (op.conditional()) {
                    return BackendException.preconditionFailed(key, answer + ": the object does not exist");
                }
                return BackendException.notFound(key, answer);
            case 400:
            case 405:
            case 411:
            case 413:
            case 414:
            case 415:
                return BackendException.config(key, answer + ": the server refuses this request", null);
            case 501:
                return BackendException.config(key, answer + ": the server does not implement this request", null);
            case 429:
                return BackendException.transport(key, false, answer + ": throttled", null);
            case 408:
            case 425:
                return BackendException.transport(key, op.mutation(), answer, null);
            default:
                if (status >= 500 && status <= 599) {
                    return BackendException.transport(key, op.mutation(), answer
                            + (op.mutation() ? " (the write may have been applied)" : ""), null);
                }
                return BackendException.internal(key, answer + ": unexpected answer", null);
        }
    }

    /**
     * Copies a response body into a local file, feeding {@code digest} when one is given.
     *
     * @param expected the announced length, or -1 when none was announced
     * @throws BackendException TRANSPORT (never ambiguous: reading changes nothing) when the body breaks off or
     *     ends short of {@code expected}
     * @throws IOException when writing the local file fails, for the caller to map as a local failure
     */
    public static long copyBody(InputStream in, FileChannel out, long expected, MessageDigest digest, String key, String where)
            throws IOException {
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        for (int n; (n = readBody(in, buffer, key, where)) >= 0; ) {
            if (digest != null) {
                digest.update(buffer, 0, n);
            }
            LocalFiles.writeFully(out, ByteBuffer.wrap(buffer, 0, n));
            total += n;
        }
        if (expected >= 0 && total != expected) {
            throw BackendException.transport(key, false, where + ": the body ended after " + total + " of " + expected
                    + " bytes", null);
        }
        return total;
    }

    private static int readBody(InputStream in, byte[] buffer, String key, String where) {
        try {
            return in.read(buffer);
        } catch (IOException e) {
            // Kept apart from local write failures, which LocalFiles maps by their own kind.
            throw BackendException.transport(key, false, where + ": the body broke off: " + e.getMessage(), e);
        }
    }

    /** At most 300 characters of a server's text, on one line. */
    public static String abbreviate(String text) {
        String line = text.strip().replaceAll("\\s+", " ");
        return line.length() <= 300 ? line : line.substring(0, 300) + "...";
    }

    /** True when the failure happened before a connection was made, so no request can have been applied. */
    public static boolean neverSent(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException || t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof HttpConnectTimeoutException || t instanceof UnresolvedAddressException) {
                return true;
            }
        }
        return false;
    }

    /** The root cause's class and message, for a one-line explanation. */
    public static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
