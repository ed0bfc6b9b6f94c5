package dev.tenure.lease.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.lease.LeaseRecordException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LeaseRecordCodecTest {

    private static final LeaseRecord RECORD = new LeaseRecord("writer", "node-1", 7, 42, "abc", 10_000, 1_700_000_000_000L, false);

    @Test
    void recordsRoundTrip() {
        assertEquals(RECORD, LeaseRecordCodec.decode("leases/writer", LeaseRecordCodec.encode(RECORD)));
    }

    @net.jqwik.api.Property(tries = 300)
    void theStreamedEncodingIsByteForByteTheTreeEncoding(@net.jqwik.api.ForAll String holder, @net.jqwik.api.ForAll String nonce,
            @net.jqwik.api.ForAll long epoch, @net.jqwik.api.ForAll long writtenAt, @net.jqwik.api.ForAll boolean released) {
        // Stored records, the simulator's histories and its seeds' outcomes depend on these bytes.
        LeaseRecord r = new LeaseRecord("writer\"\u00e9\n", holder, epoch, Math.abs(epoch) + 1, nonce, 6000, writtenAt, released);
        org.junit.jupiter.api.Assertions.assertArrayEquals(LeaseRecordCodec.encodeAsTree(r), LeaseRecordCodec.encode(r));
    }

    @net.jqwik.api.Property(tries = 300)
    void printableAsciiIsCopiedAsTheTreeWritesIt(
            @net.jqwik.api.ForAll @net.jqwik.api.constraints.CharRange(from = ' ', to = '~') String name,
            @net.jqwik.api.ForAll @net.jqwik.api.constraints.CharRange(from = ' ', to = '~') String holder,
            @net.jqwik.api.ForAll @net.jqwik.api.constraints.CharRange(from = ' ', to = '~') String nonce,
            @net.jqwik.api.ForAll long epoch, @net.jqwik.api.ForAll long ttl, @net.jqwik.api.ForAll boolean released) {
        // Names, holders and nonces are printable ASCII in practice: the encoder copies them without
        // Jackson's escaping, except the quote and the backslash, which these strings include.
        LeaseRecord r = new LeaseRecord(name, holder, epoch, epoch ^ ttl, nonce, ttl, -epoch, released);
        org.junit.jupiter.api.Assertions.assertArrayEquals(LeaseRecordCodec.encodeAsTree(r), LeaseRecordCodec.encode(r), r.toString());
    }

    @Test
    void everyCharacterAloneAndBesidePrintableAsciiIsWrittenAsTheTreeWritesIt() {
        // Each of the 65,536 UTF-16 units, in each of the three string fields, alone and in the middle
        // of printable ASCII: the fast path (plain strings copied) and the escaping path must agree
        // with the tree at every boundary between them (control characters, DEL, quote, backslash,
        // non-ASCII, lone surrogates; the empty string in the other fields).
        for (int c = 0; c < 0x10000; c++) {
            String one = String.valueOf((char) c);
            String inside = "node-" + one + "-1";
            String[][] cases = {{one, "", "n"}, {"w", inside, ""}, {"", "h", one}, {inside, inside, inside}};
            for (String[] f : cases) {
                assertEncodesAsTheTree(new LeaseRecord(f[0], f[1], c, c + 1L, f[2], 6000, -c, c % 2 == 0), "U+" + Integer.toHexString(c));
            }
        }
    }

    @Test
    void theHandLaidEncodingMatchesTheTreeOnEscapesSurrogatesAndExtremeNumbers() {
        String[] strings = {"", "plain", "q\"uote\\back/slash", "\u0000\u0001\u001f\u007f\t\r\n\b\f", "\u00e9\u2028\u2029",
            "\uD83D\uDE00 emoji", "lone \uD800 high", "lone \uDC00 low", "\uFFFF"};
        long[] numbers = {0, 1, -1, 9, 10, 99, 100, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1, 1L << 53};
        for (String s : strings) {
            for (long n : numbers) {
                LeaseRecord r = new LeaseRecord(s, s, n, n, s, n, n, n % 2 == 0);
                assertEncodesAsTheTree(r, r.toString());
            }
        }
    }

    @Test
    void unknownFieldsFromANewerWriterAreIgnored() {
        String json = new String(LeaseRecordCodec.encode(RECORD), StandardCharsets.UTF_8)
                .replace("{", "{\"region\":\"eu\",\"extra\":{\"nested\":[1,2]},");
        assertEquals(RECORD, LeaseRecordCodec.decode("leases/writer", json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void corruptRecordsAreTypedErrorsThatNameTheKeyAndTheProblem() {
        assertCorrupt("not json at all", "not JSON");
        assertCorrupt("[1,2,3]", "not a JSON object");
        assertCorrupt("{\"format\":\"tenure.lease/1\",\"name\":\"writer\"}", "field 'holder' is missing");
        assertCorrupt(json().replace("\"epoch\":7", "\"epoch\":\"seven\""), "field 'epoch' is missing or not an integer");
        assertCorrupt(json().replace("\"epoch\":7", "\"epoch\":0"), "must be positive");
        assertCorrupt(json().replace("tenure.lease/1", "tenure.lease/2"), "newer than this Tenure understands");
        assertCorrupt(json().replace("tenure.lease/1", "something-else"), "is not a Tenure lease record");
        assertCorrupt(json().replace("\"released\":false", "\"released\":\"no\""), "field 'released'");
        String truncated = json().substring(0, json().length() / 2);
        assertCorrupt(truncated, "not JSON");
    }

    private static String json() {
        return new String(LeaseRecordCodec.encode(RECORD), StandardCharsets.UTF_8);
    }

    private static void assertCorrupt(String content, String problem) {
        LeaseRecordException e = assertThrows(LeaseRecordException.class,
                () -> LeaseRecordCodec.decode("leases/writer", content.getBytes(StandardCharsets.UTF_8)));
        assertEquals("leases/writer", e.key());
        assertTrue(e.getMessage().contains(problem) && e.getMessage().contains("will not overwrite"), e.getMessage());
    }

    /** The hand-laid encoding writes what the tree writes, or refuses what the tree refuses. */
    private static void assertEncodesAsTheTree(LeaseRecord r, String what) {
        byte[] tree;
        try {
            tree = LeaseRecordCodec.encodeAsTree(r);
        } catch (RuntimeException treeRefused) {
            assertThrows(RuntimeException.class, () -> LeaseRecordCodec.encode(r), "the tree refused " + r);
            return;
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(tree, LeaseRecordCodec.encode(r), what);
    }
}
