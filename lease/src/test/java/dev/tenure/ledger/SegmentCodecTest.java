package dev.tenure.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tenure.ledger.protocol.LedgerKeys;
import dev.tenure.ledger.protocol.Segment;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The segment format and key spelling are on-disk contracts: the fast paths must write exactly what the stream-based code wrote. */
class SegmentCodecTest {

    /** The format as first written, through DataOutputStream: the reference the in-place encoder must match byte for byte. */
    private static byte[] reference(Segment s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(new byte[] {'T', 'N', 'R', 'L', 'S', 'E', 'G', '1'});
            out.writeLong(s.seq());
            out.writeLong(s.epoch());
            out.writeUTF(s.writer());
            out.writeUTF(s.batchId());
            out.writeBoolean(s.fence());
            out.writeInt(s.entries().size());
            for (byte[] e : s.entries()) {
                out.writeInt(e.length);
                out.write(e);
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes.toByteArray());
            out.writeInt((int) crc.getValue());
        }
        return bytes.toByteArray();
    }

    @Test
    void encodesAsTheStreamFormatAndDecodesBack() throws IOException {
        List<Segment> cases = List.of(
                new Segment(0, 1, "w1", "w1-7", false, List.of("a".getBytes(StandardCharsets.UTF_8), new byte[0])),
                new Segment(Long.MAX_VALUE, 9, "", "", true, List.of()),
                // Non-ASCII ids (and NUL, which modified UTF-8 spells in two bytes) take the stream path both ways.
                new Segment(42, 3, "écrivain-\u0000-\uD83D\uDE00", "lot-\u00e9", false, List.of(new byte[] {0, -1, 7})));
        for (Segment s : cases) {
            byte[] encoded = s.encode();
            assertArrayEquals(reference(s), encoded, s.writer());
            Segment back = Segment.decode("k", encoded);
            assertEquals(s.seq(), back.seq());
            assertEquals(s.epoch(), back.epoch());
            assertEquals(s.writer(), back.writer());
            assertEquals(s.batchId(), back.batchId());
            assertEquals(s.fence(), back.fence());
            assertEquals(s.entries().size(), back.entries().size());
            for (int i = 0; i < s.entries().size(); i++) {
                assertArrayEquals(s.entries().get(i), back.entries().get(i));
            }
        }
    }

    @Test
    void anEntryLongerThanWhatIsLeftIsCorruptEvenWithAValidChecksum() throws IOException {
        Segment s = new Segment(1, 1, "w", "b", false, List.of(new byte[] {1, 2, 3}));
        byte[] raw = reference(s);
        // Claim 10 bytes for the entry (still under the array's length) and re-seal the checksum.
        int lenAt = raw.length - 4 - 3 - 4;
        raw[lenAt + 3] = 10;
        CRC32C crc = new CRC32C();
        crc.update(raw, 0, raw.length - 4);
        int c = (int) crc.getValue();
        raw[raw.length - 4] = (byte) (c >>> 24);
        raw[raw.length - 3] = (byte) (c >>> 16);
        raw[raw.length - 2] = (byte) (c >>> 8);
        raw[raw.length - 1] = (byte) c;
        assertThrows(LedgerException.Corrupt.class, () -> Segment.decode("k", raw));
    }

    @Test
    void segmentKeysArePaddedAsFormatPadsThem() {
        for (long seq : new long[] {0, 1, 9, 10, 123_456_789, 999_999_999_999L, Long.MAX_VALUE, -1, Long.MIN_VALUE}) {
            assertEquals("ledgers/l/seg/" + String.format("%019d", seq), LedgerKeys.segment("ledgers/l/", seq));
        }
        assertEquals("ledgers/é/seg/0000000000000000005", LedgerKeys.segment("ledgers/é/", 5));
    }
}
