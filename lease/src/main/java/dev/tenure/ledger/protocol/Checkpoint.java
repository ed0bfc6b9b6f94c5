package dev.tenure.ledger.protocol;

import dev.tenure.ledger.LedgerException;
import dev.tenure.ledger.Position;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Where retention cut the log, stored under {@code ledgers/<name>/checkpoint}. Everyone keys on it:
 * readers start at {@code low} with the epoch rule already at {@code epoch}; segments below
 * {@code low} are deleted only after it moved; a writer whose segment landed below {@code low} was
 * not seen by the truncation and must not count it.
 *
 * @param low the first live sequence; every segment below it is cut
 * @param epoch the highest epoch the epoch rule accepted below {@code low}: readers start from it,
 *     so a stale segment first after the cut is still skipped
 * @param clearFrom the lowest sequence that may still exist below {@code low}: deletes still owed
 *     (a truncation that crashed half way); equal to {@code low} once they are done
 * @param revision rises by one with every write, so no two writes of the record are alike (no ABA)
 */
public record Checkpoint(long low, long epoch, long clearFrom, long revision) {

    public static final String FORMAT = "tenure.ledger-checkpoint/1";
    /** A ledger never truncated. */
    public static final Checkpoint NONE = new Checkpoint(1, 0, 1, 0);

    private static final ObjectMapper JSON = new ObjectMapper();

    public Checkpoint {
        if (low < 1 || epoch < 0 || clearFrom < 1 || clearFrom > low || revision < 0) {
            throw new IllegalArgumentException("invalid checkpoint: low " + low + ", epoch " + epoch + ", clearFrom " + clearFrom
                    + ", revision " + revision);
        }
    }

    /** True when {@code seq} lies below the cut: nobody reads it, retention may delete it. */
    public boolean covers(long seq) {
        return seq < low;
    }

    /** The first position a reader can read. */
    public Position first() {
        return Position.startOf(low);
    }

    /** The checkpoint after cutting before {@code newLow}, keeping the deletes still owed. */
    public Checkpoint raisedTo(long newLow, long newEpoch) {
        return new Checkpoint(newLow, newEpoch, Math.min(clearFrom, low), revision + 1);
    }

    /** The same cut with every delete below it done. */
    public Checkpoint cleared() {
        return new Checkpoint(low, epoch, low, revision + 1);
    }

    public byte[] encode() {
        try {
            return JSON.writeValueAsBytes(JSON.createObjectNode().put("format", FORMAT).put("low", low).put("epoch", epoch)
                    .put("clearFrom", clearFrom).put("revision", revision));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a ledger checkpoint", e);
        }
    }

    /**
     * Reads both formats. The first format was a plain number, the low sequence, with no epoch: it
     * decodes to epoch 0, which is what readers assumed then (the epoch rule restarts at that cut),
     * and to no deletes owed, since that truncation deleted before it returned.
     */
    public static Checkpoint decode(String key, byte[] raw) {
        Checkpoint own = decodeOwnSpelling(raw);
        if (own != null) {
            return own;
        }
        String s = new String(raw, StandardCharsets.UTF_8).trim();
        if (!s.isEmpty() && s.chars().allMatch(Character::isDigit)) {
            long low = parse(key, s);
            if (low < 1) {
                throw corrupt(key, "a checkpoint below 1", s);
            }
            return new Checkpoint(low, 0, low, 0);
        }
        JsonNode node;
        try {
            node = JSON.readTree(raw);
        } catch (IOException e) {
            throw corrupt(key, "neither a number nor JSON", s);
        }
        if (node == null || !node.isObject() || !FORMAT.equals(node.path("format").asText(null))) {
            throw corrupt(key, "not a " + FORMAT + " record", s);
        }
        try {
            return new Checkpoint(number(key, node, "low", s), number(key, node, "epoch", s), number(key, node, "clearFrom", s),
                    number(key, node, "revision", s));
        } catch (IllegalArgumentException e) {
            throw corrupt(key, e.getMessage(), s);
        }
    }

    /** What {@link #encode} writes, byte for byte, around the four numbers. */
    private static final byte[][] OWN_SPELLING = {
        ("{\"format\":\"" + FORMAT + "\",\"low\":").getBytes(StandardCharsets.UTF_8),
        ",\"epoch\":".getBytes(StandardCharsets.UTF_8),
        ",\"clearFrom\":".getBytes(StandardCharsets.UTF_8),
        ",\"revision\":".getBytes(StandardCharsets.UTF_8),
        "}".getBytes(StandardCharsets.UTF_8),
    };

    /**
     * The record exactly as {@link #encode} spells it (readers decode it over and over, and a JSON
     * parser was most of that), or null for anything else: other spellings, numbers with leading
     * zeros or of 19 digits and more, and invalid values all go to the JSON parser, which accepts
     * or refuses them as before.
     */
    private static Checkpoint decodeOwnSpelling(byte[] raw) {
        long[] numbers = new long[4];
        int at = 0;
        for (int part = 0; part < OWN_SPELLING.length; part++) {
            byte[] literal = OWN_SPELLING[part];
            if (raw.length - at < literal.length || !java.util.Arrays.equals(raw, at, at + literal.length, literal, 0, literal.length)) {
                return null;
            }
            at += literal.length;
            if (part == numbers.length) {
                break;
            }
            int start = at;
            long value = 0;
            while (at < raw.length && raw[at] >= '0' && raw[at] <= '9' && at - start < 18) {
                value = value * 10 + (raw[at] - '0');
                at++;
            }
            int digits = at - start;
            if (digits == 0 || (digits > 1 && raw[start] == '0') || (at < raw.length && raw[at] >= '0' && raw[at] <= '9')) {
                return null;
            }
            numbers[part] = value;
        }
        if (at != raw.length) {
            return null;
        }
        try {
            return new Checkpoint(numbers[0], numbers[1], numbers[2], numbers[3]);
        } catch (IllegalArgumentException invalid) {
            return null; // the JSON path refuses it with the message
        }
    }

    private static long number(String key, JsonNode node, String field, String s) {
        JsonNode v = node.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw corrupt(key, "field '" + field + "' is missing or not an integer", s);
        }
        return v.asLong();
    }

    private static long parse(String key, String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw corrupt(key, "a number out of range", s);
        }
    }

    private static LedgerException.Corrupt corrupt(String key, String why, String s) {
        return new LedgerException.Corrupt(key + " should hold a ledger checkpoint (" + why + "), not '"
                + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "'");
    }
}
