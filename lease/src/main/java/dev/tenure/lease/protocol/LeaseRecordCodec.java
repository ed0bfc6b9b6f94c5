package dev.tenure.lease.protocol;

import dev.tenure.lease.LeaseRecordException;
import dev.tenure.lease.Lease;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Lease records as JSON. Unknown fields are ignored (a newer writer may add some); a missing or
 * mistyped field, another format, or bytes that are not JSON are a {@link LeaseRecordException}.
 */
public final class LeaseRecordCodec {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private LeaseRecordCodec() {
    }

    public static byte[] encode(LeaseRecord r) {
        // Laid out by hand around Jackson's own string escaping: every renewal encodes a record, and
        // with thousands of leases a generator per record (its buffers, its flush) was over 40% of
        // the protocol thread. Same fields, same order, same bytes as ObjectMapper.writeValueAsBytes
        // of the tree (LeaseRecordCodecTest checks it for arbitrary strings and numbers).
        String name = r.name();
        String holder = r.holder();
        String nonce = r.nonce();
        boolean plainName = plain(name);
        boolean plainHolder = plain(holder);
        boolean plainNonce = plain(nonce);
        if (!plainName && hasSurrogate(name) || !plainHolder && hasSurrogate(holder) || !plainNonce && hasSurrogate(nonce)) {
            // Jackson's generator writes a character beyond the BMP as two escaped UTF-16 halves, where its
            // string encoder writes UTF-8: the rare record that has one takes the generator's path.
            return encodeAsTree(r);
        }
        // A string that needs no escaping (printable ASCII but the quote and the backslash: lease
        // names, holder ids and nonces in practice) is copied as it is, straight into an array of
        // the record's exact size; only another string goes through Jackson's escaping first.
        byte[] quotedName = plainName ? null : QUOTE.quoteAsUTF8(name);
        byte[] quotedHolder = plainHolder ? null : QUOTE.quoteAsUTF8(holder);
        byte[] quotedNonce = plainNonce ? null : QUOTE.quoteAsUTF8(nonce);
        byte[] released = r.released() ? RELEASED_TRUE : RELEASED_FALSE;
        int length = FORMAT_FIELD.length + width(name, quotedName) + HOLDER_FIELD.length + width(holder, quotedHolder)
                + EPOCH_FIELD.length + width(r.epoch()) + REVISION_FIELD.length + width(r.revision())
                + NONCE_FIELD.length + width(nonce, quotedNonce) + TTL_FIELD.length + width(r.ttlMillis())
                + WRITTEN_AT_FIELD.length + width(r.writtenAtMillis()) + released.length;
        byte[] out = new byte[length];
        int at = put(out, 0, FORMAT_FIELD);
        at = put(out, at, name, quotedName);
        at = put(out, at, HOLDER_FIELD);
        at = put(out, at, holder, quotedHolder);
        at = put(out, at, EPOCH_FIELD);
        at = put(out, at, r.epoch());
        at = put(out, at, REVISION_FIELD);
        at = put(out, at, r.revision());
        at = put(out, at, NONCE_FIELD);
        at = put(out, at, nonce, quotedNonce);
        at = put(out, at, TTL_FIELD);
        at = put(out, at, r.ttlMillis());
        at = put(out, at, WRITTEN_AT_FIELD);
        at = put(out, at, r.writtenAtMillis());
        at = put(out, at, released);
        if (at != length) {
            throw new IllegalStateException("lease record encoded to " + at + " bytes, sized for " + length);
        }
        return out;
    }

    private static final JsonStringEncoder QUOTE = JsonStringEncoder.getInstance();
    private static final byte[] FORMAT_FIELD = ascii("{\"format\":\"" + LeaseRecord.FORMAT + "\",\"name\":\"");
    private static final byte[] HOLDER_FIELD = ascii("\",\"holder\":\"");
    private static final byte[] EPOCH_FIELD = ascii("\",\"epoch\":");
    private static final byte[] REVISION_FIELD = ascii(",\"revision\":");
    private static final byte[] NONCE_FIELD = ascii(",\"nonce\":\"");
    private static final byte[] TTL_FIELD = ascii("\",\"ttlMillis\":");
    private static final byte[] WRITTEN_AT_FIELD = ascii(",\"writtenAtMillis\":");
    private static final byte[] RELEASED_TRUE = ascii(",\"released\":true}");
    private static final byte[] RELEASED_FALSE = ascii(",\"released\":false}");
    private static final byte[] LONG_MIN = ascii(Long.toString(Long.MIN_VALUE));

    /** Written as it is inside a JSON string by Jackson too: printable ASCII but {@code "} and {@code \}. */
    private static boolean plain(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    private static boolean hasSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static int width(String plain, byte[] quoted) {
        return quoted == null ? plain.length() : quoted.length;
    }

    /** Characters of {@code number} in decimal, its sign included. */
    private static int width(long number) {
        if (number == Long.MIN_VALUE) {
            return LONG_MIN.length;
        }
        int digits = 1;
        for (long v = Math.abs(number); v >= 10; v /= 10) {
            digits++;
        }
        return number < 0 ? digits + 1 : digits;
    }

    private static int put(byte[] out, int at, byte[] part) {
        System.arraycopy(part, 0, out, at, part.length);
        return at + part.length;
    }

    private static int put(byte[] out, int at, String plain, byte[] quoted) {
        if (quoted != null) {
            return put(out, at, quoted);
        }
        for (int i = 0; i < plain.length(); i++) {
            out[at + i] = (byte) plain.charAt(i);
        }
        return at + plain.length();
    }

    private static int put(byte[] out, int at, long number) {
        if (number == Long.MIN_VALUE) {
            return put(out, at, LONG_MIN);
        }
        int end = at + width(number);
        int i = end;
        long v = Math.abs(number);
        do {
            out[--i] = (byte) ('0' + (v % 10));
            v /= 10;
        } while (v != 0);
        if (number < 0) {
            out[--i] = '-';
        }
        return end;
    }

    /** The encoding before streaming: the tree, written by the mapper. Kept for the test that the bytes did not change. */
    public static byte[] encodeAsTree(LeaseRecord r) {
        ObjectNode node = JSON.createObjectNode()
                .put("format", LeaseRecord.FORMAT)
                .put("name", r.name())
                .put("holder", r.holder())
                .put("epoch", r.epoch())
                .put("revision", r.revision())
                .put("nonce", r.nonce())
                .put("ttlMillis", r.ttlMillis())
                .put("writtenAtMillis", r.writtenAtMillis())
                .put("released", r.released());
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a lease record", e);
        }
    }

    public static LeaseRecord decode(String key, byte[] bytes) {
        return decode(key, bytes, true);
    }

    /** {@code checkBounds} false only under {@link ProtocolMutation#NO_RECORD_BOUNDS}. */
    public static LeaseRecord decode(String key, byte[] bytes, boolean checkBounds) {
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new LeaseRecordException(key, "not JSON: " + preview(bytes));
        }
        if (node == null || !node.isObject()) {
            throw new LeaseRecordException(key, "not a JSON object: " + preview(bytes));
        }
        String format = text(key, node, "format");
        if (!format.startsWith("tenure.lease/")) {
            throw new LeaseRecordException(key, "its format field is not a Tenure lease record's (" + format.length() + " characters, not shown)");
        }
        if (!format.equals(LeaseRecord.FORMAT)) {
            throw new LeaseRecordException(key, "format '" + format + "' is newer than this Tenure understands ("
                    + LeaseRecord.FORMAT + "); upgrade before contending for it");
        }
        LeaseRecord record = new LeaseRecord(text(key, node, "name"), text(key, node, "holder"),
                number(key, node, "epoch"), number(key, node, "revision"), text(key, node, "nonce"),
                number(key, node, "ttlMillis"), number(key, node, "writtenAtMillis"), bool(key, node, "released"));
        if (record.epoch() < 1 || record.revision() < 1 || record.ttlMillis() < 1) {
            throw new LeaseRecordException(key, "epoch, revision and ttlMillis must be positive (epoch " + record.epoch()
                    + ", revision " + record.revision() + ", ttlMillis " + record.ttlMillis() + ")");
        }
        if (checkBounds && (record.epoch() > LeaseRecord.MAX_EPOCH || record.revision() > LeaseRecord.MAX_REVISION
                || record.ttlMillis() > LeaseRecord.MAX_TTL_MILLIS)) {
            // Beyond these, deadlines and epoch + 1 overflow: a contender would take a live lease at
            // once, or never return. Refused, never overwritten.
            throw new LeaseRecordException(key, "out of bounds (epoch " + record.epoch() + ", at most " + LeaseRecord.MAX_EPOCH
                    + "; revision " + record.revision() + ", at most " + LeaseRecord.MAX_REVISION + "; ttlMillis "
                    + record.ttlMillis() + ", at most " + LeaseRecord.MAX_TTL_MILLIS + ")");
        }
        return record;
    }

    /** Encodes and decodes one record, so that a cold JVM pays for loading JSON before the first request, not during it. */
    public static void warmUp() {
        decode("warm-up", encode(new LeaseRecord("warm-up", "warm-up", 1, 1, "0", 1, 0, false)));
    }

    private static String text(String key, JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new LeaseRecordException(key, "field '" + field + "' is missing or not a string");
        }
        return v.asText();
    }

    private static long number(String key, JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
            throw new LeaseRecordException(key, "field '" + field + "' is missing or not an integer");
        }
        return v.asLong();
    }

    private static boolean bool(String key, JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isBoolean()) {
            throw new LeaseRecordException(key, "field '" + field + "' is missing or not a boolean");
        }
        return v.asBoolean();
    }

    /**
     * What a refusal says of the bytes: their size only. Whatever sits at the lease's key (a wrong
     * key prefix pointing at the application's own objects) must not reach a log or a message.
     */
    private static String preview(byte[] bytes) {
        return "(" + bytes.length + " bytes, not shown)";
    }
}
