package dev.tenure.ledger.protocol;

import dev.tenure.ledger.LedgerException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
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
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + entries.stream().mapToInt(e -> e.length + 4).sum());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeLong(seq);
            out.writeLong(epoch);
            out.writeUTF(writer);
            out.writeUTF(batchId);
            out.writeBoolean(fence);
            out.writeInt(entries.size());
            for (byte[] e : entries) {
                out.writeInt(e.length);
                out.write(e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] body = bytes.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(body);
        byte[] withCrc = Arrays.copyOf(body, body.length + 4);
        int c = (int) crc.getValue();
        withCrc[body.length] = (byte) (c >>> 24);
        withCrc[body.length + 1] = (byte) (c >>> 16);
        withCrc[body.length + 2] = (byte) (c >>> 8);
        withCrc[body.length + 3] = (byte) c;
        return withCrc;
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
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw, 0, raw.length - 4))) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new LedgerException.Corrupt("segment " + key + " is not a Tenure ledger segment");
            }
            long seq = in.readLong();
            long epoch = in.readLong();
            String writer = in.readUTF();
            String batchId = in.readUTF();
            boolean fence = in.readBoolean();
            int count = in.readInt();
            if (count < 0) {
                throw new LedgerException.Corrupt("segment " + key + " claims " + count + " entries");
            }
            List<byte[]> entries = new ArrayList<>(Math.min(count, 1 << 16));
            for (int i = 0; i < count; i++) {
                int len = in.readInt();
                if (len < 0 || len > raw.length) {
                    throw new LedgerException.Corrupt("segment " + key + " has an entry of " + len + " bytes");
                }
                entries.add(in.readNBytes(len));
            }
            return new Segment(seq, epoch, writer, batchId, fence, List.copyOf(entries));
        } catch (IOException e) {
            throw new LedgerException.Corrupt("segment " + key + " ends early: " + e.getMessage());
        }
    }
}
