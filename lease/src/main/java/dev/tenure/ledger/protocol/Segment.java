package dev.tenure.ledger.protocol;

import dev.tenure.ledger.LedgerException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * One immutable segment: a header (format, epoch, writer, batch id, sequence, count, fence flag)
 * and a batch of entries, closed by a CRC32C of everything before it.
 */
public record Segment(long seq, long epoch, String writer, String batchId, boolean fence, List<byte[]> entries) {

    private static final byte[] MAGIC = {'T', 'N', 'R', 'L', 'S', 'E', 'G', '1'};

    public byte[] encode() {
        byte[] w = utf(writer);
        byte[] b = utf(batchId);
        int size = MAGIC.length + 8 + 8 + 2 + w.length + 2 + b.length + 1 + 4 + 4;
        for (byte[] e : entries) {
            size += 4 + e.length;
        }
        // One array of the exact size, filled in place: no stream, no growing buffer, no copy to append the CRC.
        byte[] out = new byte[size];
        ByteBuffer buf = ByteBuffer.wrap(out);
        buf.put(MAGIC).putLong(seq).putLong(epoch);
        buf.putShort((short) w.length).put(w).putShort((short) b.length).put(b);
        buf.put((byte) (fence ? 1 : 0)).putInt(entries.size());
        for (byte[] e : entries) {
            buf.putInt(e.length).put(e);
        }
        CRC32C crc = new CRC32C();
        crc.update(out, 0, size - 4);
        buf.putInt((int) crc.getValue());
        return out;
    }

    /**
     * A string as {@link DataOutputStream#writeUTF} writes it, without its length. Writer and batch
     * ids are ASCII in practice, which modified UTF-8 spells as themselves; anything else goes
     * through {@code writeUTF} so the bytes (and its refusal of strings over 65535 bytes) stay the same.
     */
    private static byte[] utf(String s) {
        int n = s.length();
        if (n <= 0xffff) {
            byte[] ascii = new byte[n];
            boolean plain = true;
            for (int i = 0; i < n && plain; i++) {
                char c = s.charAt(i);
                plain = c >= 0x01 && c <= 0x7f;
                ascii[i] = (byte) c;
            }
            if (plain) {
                return ascii;
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(n + 8);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] withLength = bytes.toByteArray();
        return Arrays.copyOfRange(withLength, 2, withLength.length);
    }

    public static Segment decode(String key, byte[] raw) {
        if (raw.length < MAGIC.length + 4) {
            throw new LedgerException.Corrupt("segment " + key + " is truncated (" + raw.length + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(raw, 0, raw.length - 4);
        int stored = ((raw[raw.length - 4] & 0xff) << 24) | ((raw[raw.length - 3] & 0xff) << 16) | ((raw[raw.length - 2] & 0xff) << 8)
                | (raw[raw.length - 1] & 0xff);
        if (stored != (int) crc.getValue()) {
            throw new LedgerException.Corrupt("segment " + key + " failed its checksum");
        }
        if (!Arrays.equals(raw, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new LedgerException.Corrupt("segment " + key + " is not a Tenure ledger segment");
        }
        // Read in place from the array (no stream, no buffered copy): entries are the only arrays made.
        ByteBuffer in = ByteBuffer.wrap(raw, MAGIC.length, raw.length - 4 - MAGIC.length);
        try {
            long seq = in.getLong();
            long epoch = in.getLong();
            String writer = readUtf(key, in, raw);
            String batchId = readUtf(key, in, raw);
            boolean fence = in.get() != 0;
            int count = in.getInt();
            if (count < 0) {
                throw new LedgerException.Corrupt("segment " + key + " claims " + count + " entries");
            }
            byte[][] entries = new byte[Math.min(count, 1 << 16)][];
            for (int i = 0; i < count; i++) {
                int len = in.getInt();
                if (len < 0 || len > raw.length) {
                    throw new LedgerException.Corrupt("segment " + key + " has an entry of " + len + " bytes");
                }
                if (len > in.remaining()) {
                    throw new LedgerException.Corrupt("segment " + key + " ends early: an entry of " + len + " bytes, " + in.remaining() + " left");
                }
                byte[] entry = new byte[len];
                in.get(entry);
                if (i == entries.length) {
                    entries = Arrays.copyOf(entries, Math.min(count, entries.length * 2));
                }
                entries[i] = entry;
            }
            return new Segment(seq, epoch, writer, batchId, fence, List.of(entries));
        } catch (BufferUnderflowException e) {
            throw new LedgerException.Corrupt("segment " + key + " ends early");
        }
    }

    /** A string as {@link DataInputStream#readUTF} reads it; ASCII (the common case) without a stream. */
    private static String readUtf(String key, ByteBuffer in, byte[] raw) {
        int len = in.getShort() & 0xffff;
        if (len > in.remaining()) {
            throw new BufferUnderflowException();
        }
        int from = in.position();
        boolean plain = true;
        for (int i = from; i < from + len && plain; i++) {
            plain = raw[i] >= 0x01; // 0x01..0x7f: modified UTF-8 spells ASCII as itself (NUL takes two bytes)
        }
        in.position(from + len);
        if (plain) {
            return new String(raw, from, len, StandardCharsets.ISO_8859_1);
        }
        try (DataInputStream data = new DataInputStream(new ByteArrayInputStream(raw, from - 2, len + 2))) {
            return data.readUTF();
        } catch (IOException e) {
            throw new LedgerException.Corrupt("segment " + key + " holds a string that is not modified UTF-8: " + e.getMessage());
        }
    }
}
