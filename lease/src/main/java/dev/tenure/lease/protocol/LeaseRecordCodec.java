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
import java.util.Arrays;

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
        if (hasSurrogate(r.name()) || hasSurrogate(r.holder()) || hasSurrogate(r.nonce())) {
            // Jackson's generator writes a character beyond the BMP as two escaped UTF-16 halves, where its
            // string encoder writes UTF-8: the rare record that has one takes the generator's path.
            return encodeAsTree(r);
        }
        byte[] name = QUOTE.quoteAsUTF8(r.name());
        byte[] holder = QUOTE.quoteAsUTF8(r.holder());
        byte[] nonce = QUOTE.quoteAsUTF8(r.nonce());
        Ascii out = new Ascii(160 + name.length + holder.length + nonce.length);
        out.add(FORMAT_FIELD).add(name).add(HOLDER_FIELD).add(holder).add(EPOCH_FIELD).add(r.epoch())
                .add(REVISION_FIELD).add(r.revision()).add(NONCE_FIELD).add(nonce).add(TTL_FIELD).add(r.ttlMillis())
                .add(WRITTEN_AT_FIELD).add(r.writtenAtMillis()).add(r.released() ? RELEASED_TRUE : RELEASED_FALSE);
        return out.toByteArray();
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

    /** A byte array filled left to right; sized by the caller so that it never grows for a record. */
    private static final class Ascii {
        private byte[] bytes;
        private int length;

        Ascii(int capacity) {
            bytes = new byte[capacity];
        }

        Ascii add(byte[] part) {
            ensure(part.length);
            System.arraycopy(part, 0, bytes, length, part.length);
            length += part.length;
            return this;
        }

        Ascii add(long number) {
            if (number == Long.MIN_VALUE) {
                return add(ascii(Long.toString(number)));
            }
            int digits = 1;
            for (long v = Math.abs(number); v >= 10; v /= 10) {
                digits++;
            }
            int end = length + digits + (number < 0 ? 1 : 0);
            ensure(end - length);
            int at = end;
            long v = Math.abs(number);
            do {
                bytes[--at] = (byte) ('0' + (v % 10));
                v /= 10;
            } while (v != 0);
            if (number < 0) {
                bytes[--at] = '-';
            }
            length = end;
            return this;
        }

        private void ensure(int more) {
            if (length + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }

        byte[] toByteArray() {
            return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
        }
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
