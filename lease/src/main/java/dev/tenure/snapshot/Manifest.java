package dev.tenure.snapshot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenure.backend.Keys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The small JSON object at {@code snapshots/<name>/manifest} that says which content object is
 * current. It is never deleted: its epoch must never go back, as with a lease record.
 *
 * <p>The top-level epoch, lease, writer, nonce and clock describe the last write of the manifest
 * (a flush or a claim); {@link Content} describes the flush that produced the current content, so
 * a claim changes the former and leaves the latter alone.
 *
 * @param name the snapshot's name
 * @param lease the name of the lease whose tokens fence this snapshot; null until a fenced writer claims it
 * @param epoch the highest epoch that has claimed or flushed this snapshot; 0 for unfenced writers
 * @param generation rises by one per flush and only then; 0 before the first flush
 * @param content the current content; null exactly when the generation is 0
 * @param previousContentKey the content the last flush replaced; kept for readers still fetching it
 * @param writer the writer of this manifest version
 * @param nonce unique per manifest write: resolves ambiguous writes and keeps versions from repeating
 * @param writtenAtMillis the writer's wall clock; informational only
 */
record Manifest(String name, String lease, long epoch, long generation, Content content, String previousContentKey,
        String writer, String nonce, long writtenAtMillis) {

    static final String FORMAT = "tenure.snapshot/1";

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /**
     * One flushed content object.
     *
     * @param key the immutable object holding it
     * @param size its length in bytes
     * @param sha256 its SHA-256, lowercase hex
     * @param writer the writer that flushed it
     * @param epoch that writer's epoch
     * @param writtenAtMillis that writer's wall clock at the flush; informational only
     */
    record Content(String key, long size, String sha256, String writer, long epoch, long writtenAtMillis) {
        Content {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(writer, "writer");
        }
    }

    Manifest {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(writer, "writer");
        Objects.requireNonNull(nonce, "nonce");
    }

    /** The manifest a fenced writer writes to claim a snapshot that has never been flushed. */
    static Manifest claimOfNothing(String name, String lease, long epoch, String writer, String nonce, long now) {
        return new Manifest(name, lease, epoch, 0, null, null, writer, nonce, now);
    }

    /** This manifest claimed by a writer with a higher epoch: same content, new epoch and nonce. */
    Manifest claimedBy(String newLease, long newEpoch, String newWriter, String newNonce, long now) {
        return new Manifest(name, newLease, newEpoch, generation, content, previousContentKey, newWriter, newNonce, now);
    }

    /** The manifest of a flush on top of this one. */
    Manifest flushedBy(Content flushed, String newLease, long newEpoch, String newNonce) {
        return new Manifest(name, newLease, newEpoch, generation + 1, flushed, content == null ? null : content.key(),
                flushed.writer(), newNonce, flushed.writtenAtMillis());
    }

    /** The current content as the public API shows it; empty before the first flush. */
    Optional<SnapshotInfo> info() {
        if (content == null) {
            return Optional.empty();
        }
        return Optional.of(new SnapshotInfo(name, content.epoch(), generation, content.key(), content.size(), content.sha256(),
                content.writer(), content.writtenAtMillis()));
    }

    byte[] encode() {
        ObjectNode node = JSON.createObjectNode()
                .put("format", FORMAT)
                .put("name", name)
                .put("lease", lease)
                .put("epoch", epoch)
                .put("generation", generation)
                .put("previousContent", previousContentKey)
                .put("writer", writer)
                .put("nonce", nonce)
                .put("writtenAtMillis", writtenAtMillis);
        if (content == null) {
            node.putNull("content");
        } else {
            node.putObject("content")
                    .put("key", content.key())
                    .put("size", content.size())
                    .put("sha256", content.sha256())
                    .put("writer", content.writer())
                    .put("epoch", content.epoch())
                    .put("writtenAtMillis", content.writtenAtMillis());
        }
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a snapshot manifest", e);
        }
    }

    /**
     * Parses and checks a manifest. Content keys must lie under {@code dataPrefix}: Tenure deletes
     * superseded content by the keys a manifest names, so a manifest must not be able to name
     * anything else.
     */
    static Manifest decode(String key, String expectedName, String dataPrefix, byte[] bytes) {
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (IOException e) {
            throw corrupt(key, "not JSON: " + preview(bytes));
        }
        if (node == null || !node.isObject()) {
            throw corrupt(key, "not a JSON object: " + preview(bytes));
        }
        String format = text(key, node, "format");
        if (!format.startsWith("tenure.snapshot/")) {
            throw corrupt(key, "format '" + format + "' is not a Tenure snapshot manifest");
        }
        if (!format.equals(FORMAT)) {
            throw corrupt(key, "format '" + format + "' is newer than this Tenure understands (" + FORMAT + "); upgrade first");
        }
        String name = text(key, node, "name");
        if (!name.equals(expectedName)) {
            throw corrupt(key, "it names snapshot '" + name + "', not '" + expectedName + "'");
        }
        long epoch = number(key, node, "epoch");
        long generation = number(key, node, "generation");
        if (epoch < 0 || generation < 0) {
            throw corrupt(key, "epoch and generation must not be negative (epoch " + epoch + ", generation " + generation + ")");
        }
        Content content = null;
        JsonNode c = node.get("content");
        if (c != null && !c.isNull()) {
            if (!c.isObject()) {
                throw corrupt(key, "field 'content' is not an object");
            }
            content = new Content(dataKey(key, dataPrefix, text(key, c, "key")), number(key, c, "size"),
                    text(key, c, "sha256"), text(key, c, "writer"), number(key, c, "epoch"), number(key, c, "writtenAtMillis"));
            if (content.size() < 0 || !SHA256.matcher(content.sha256()).matches()) {
                throw corrupt(key, "content size " + content.size() + " or sha256 '" + content.sha256() + "' is invalid");
            }
        }
        if ((content == null) != (generation == 0)) {
            throw corrupt(key, "generation " + generation + (content == null ? " has no content" : " cannot have content"));
        }
        String previous = optionalText(key, node, "previousContent");
        return new Manifest(name, optionalText(key, node, "lease"), epoch, generation, content,
                previous == null ? null : dataKey(key, dataPrefix, previous), text(key, node, "writer"),
                text(key, node, "nonce"), number(key, node, "writtenAtMillis"));
    }

    private static String dataKey(String key, String dataPrefix, String contentKey) {
        if (!contentKey.startsWith(dataPrefix) || contentKey.length() == dataPrefix.length() || !Keys.isValid(contentKey)) {
            throw corrupt(key, "content key '" + contentKey + "' is not under " + dataPrefix);
        }
        return contentKey;
    }

    private static SnapshotException.Corrupt corrupt(String key, String problem) {
        return new SnapshotException.Corrupt("snapshot manifest " + key + " is corrupt: " + problem + "; Tenure will not overwrite it");
    }

    private static String text(String key, JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw corrupt(key, "field '" + field + "' is missing or not a non-empty string");
        }
        return v.asText();
    }

    private static String optionalText(String key, JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : text(key, node, field);
    }

    private static long number(String key, JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw corrupt(key, "field '" + field + "' is missing or not an integer");
        }
        return v.asLong();
    }

    private static String preview(byte[] bytes) {
        String s = new String(bytes, 0, Math.min(bytes.length, 60), StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
        return "'" + s + (bytes.length > 60 ? "...' (" + bytes.length + " bytes)" : "'");
    }
}
