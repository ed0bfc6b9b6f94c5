package dev.tenure.lease.protocol;

import dev.tenure.lease.LeaseRecordException;
import dev.tenure.lease.Lease;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
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
        // Streamed, not built as a tree: every renewal encodes a record, and with thousands of
        // leases the tree was a third of the protocol thread's time. Same fields, same order,
        // same bytes as ObjectMapper.writeValueAsBytes of the tree (LeaseRecordCodecTest checks).
        ByteArrayBuilder bytes = new ByteArrayBuilder(192);
        try (JsonGenerator out = JSON.getFactory().createGenerator(bytes, JsonEncoding.UTF8)) {
            out.writeStartObject();
            out.writeStringField("format", LeaseRecord.FORMAT);
            out.writeStringField("name", r.name());
            out.writeStringField("holder", r.holder());
            out.writeNumberField("epoch", r.epoch());
            out.writeNumberField("revision", r.revision());
            out.writeStringField("nonce", r.nonce());
            out.writeNumberField("ttlMillis", r.ttlMillis());
            out.writeNumberField("writtenAtMillis", r.writtenAtMillis());
            out.writeBooleanField("released", r.released());
            out.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a lease record", e);
        }
        return bytes.toByteArray();
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
            throw new LeaseRecordException(key, "format '" + format + "' is not a Tenure lease record");
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

    private static String preview(byte[] bytes) {
        String s = new String(bytes, 0, Math.min(bytes.length, 60), StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
        return "'" + s + (bytes.length > 60 ? "...' (" + bytes.length + " bytes)" : "'");
    }
}
