package dev.tenure.backend.local;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ObjectVersion;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * The on-disk format of one stored object: a 40-byte header, then the content.
 *
 * <pre>
 * offset size field
 *      0    8 magic "TNROBJ" 0x00 0x01 (format version 1)
 *      8    8 generation: 1 for a new key, previous + 1 on each overwrite
 *     16    8 random nonce, fresh on every write
 *     24    8 content length in bytes
 *     32    4 CRC32C of the content
 *     36    4 CRC32C of bytes 0..35
 * </pre>
 *
 * The version token is {@code <generation>-<nonce in hex>}: it changes on every write even when
 * the bytes are equal, and the nonce keeps it unique after a delete restarts the generation.
 */
record ObjectFile(long generation, long nonce, long contentLength, int contentCrc) {

    static final int HEADER_BYTES = 40;
    private static final byte[] MAGIC = {'T', 'N', 'R', 'O', 'B', 'J', 0, 1};

    ObjectVersion version() {
        return new ObjectVersion(generation + "-" + HexFormat.of().toHexDigits(nonce));
    }

    ByteBuffer encodeHeader() {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.put(MAGIC).putLong(generation).putLong(nonce).putLong(contentLength).putInt(contentCrc);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 36);
        header.putInt((int) crc.getValue());
        return header.flip();
    }

    /**
     * Parses and checks a header read from a file of {@code fileSize} bytes.
     *
     * @throws BackendException INTERNAL naming the key, the file and what is wrong with it
     */
    static ObjectFile decodeHeader(String key, Path file, ByteBuffer header, long fileSize) {
        if (fileSize < HEADER_BYTES || header.remaining() < HEADER_BYTES) {
            throw corrupt(key, file, "truncated header (" + fileSize + " bytes, a header needs " + HEADER_BYTES + ")");
        }
        byte[] raw = new byte[HEADER_BYTES];
        header.get(raw);
        for (int i = 0; i < MAGIC.length; i++) {
            if (raw[i] != MAGIC[i]) {
                throw corrupt(key, file, "not a Tenure object (bad magic); was it written by something else?");
            }
        }
        ByteBuffer fields = ByteBuffer.wrap(raw);
        CRC32C crc = new CRC32C();
        crc.update(raw, 0, 36);
        if (fields.getInt(36) != (int) crc.getValue()) {
            throw corrupt(key, file, "header checksum mismatch");
        }
        ObjectFile parsed = new ObjectFile(fields.getLong(8), fields.getLong(16), fields.getLong(24), fields.getInt(32));
        long expected = HEADER_BYTES + parsed.contentLength();
        if (parsed.contentLength() < 0 || fileSize != expected) {
            throw corrupt(key, file, (fileSize < expected ? "truncated" : "has trailing bytes") + ": header says "
                    + parsed.contentLength() + " content bytes, file holds " + (fileSize - HEADER_BYTES));
        }
        return parsed;
    }

    static BackendException corrupt(String key, Path file, String problem) {
        return BackendException.internal(key, "object " + key + " is corrupt (" + file + "): " + problem, null);
    }
}
