package dev.tenure.backend.memory;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalDelete;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Keys;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.internal.LocalFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An atomic backend held in this process's memory.
 *
 * <p>Every write gets a version from a counter ({@code "m1"}, {@code "m2"}, ...), never from the
 * content, so equal bytes written twice get two versions. Conditions are checked and applied in
 * one atomic step per key. Content is copied in and out, so callers may reuse their arrays.
 */
public final class InMemoryBackend implements AtomicRemoteBackend {

    private record Stored(byte[] bytes, ObjectVersion version) {
    }

    private final String name;
    private final ConcurrentHashMap<String, Stored> objects = new ConcurrentHashMap<>();
    private final AtomicLong writes = new AtomicLong();

    /** An empty store named {@code "mem"}. */
    public InMemoryBackend() {
        this("mem");
    }

    /** An empty store with the given name (shown in logs). */
    public InMemoryBackend(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<ObjectVersion> objectVersion(String key) {
        Stored stored = present(key);
        return stored == null ? Optional.empty() : Optional.of(stored.version());
    }

    @Override
    public Optional<Versioned<byte[]>> read(String key) {
        Stored stored = present(key);
        return stored == null ? Optional.empty() : Optional.of(new Versioned<>(stored.bytes().clone(), stored.version()));
    }

    /**
     * The stored object of {@code key}, or null. A key found in the map was validated when it was
     * stored, so only a miss validates it: reads of existing keys are most of a simulated run's calls.
     */
    private Stored present(String key) {
        Stored stored = key == null ? null : objects.get(key);
        if (stored == null) {
            Keys.requireValid(key);
        }
        return stored;
    }

    @Override
    public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
        Keys.requireValid(key);
        Objects.requireNonNull(condition, "condition");
        return store(key, bytes.clone(), condition);
    }

    @Override
    public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
        Keys.requireValid(key);
        Objects.requireNonNull(condition, "condition");
        return store(key, readLocal(localPath, key), condition);
    }

    @Override
    public void upload(Path localPath, String key) {
        Keys.requireValid(key);
        store(key, readLocal(localPath, key), null);
    }

    private ObjectVersion store(String key, byte[] bytes, ConditionalPut condition) {
        Stored written = objects.compute(key, (k, current) -> {
            check(k, current, condition);
            return new Stored(bytes, new ObjectVersion("m" + writes.incrementAndGet()));
        });
        return written.version();
    }

    private static void check(String key, Stored current, ConditionalPut condition) {
        if (condition == null) {
            return;
        }
        if (condition instanceof ConditionalPut.IfAbsent) {
            if (current != null) {
                throw BackendException.preconditionFailed(key, "object " + key + " already exists (version " + current.version() + ")");
            }
        } else if (condition instanceof ConditionalPut.IfVersion ifVersion) {
            requireVersion(key, current, ifVersion.version());
        }
    }

    private static void requireVersion(String key, Stored current, ObjectVersion expected) {
        if (current == null) {
            throw BackendException.preconditionFailed(key, "object " + key + " does not exist (expected version " + expected + ")");
        }
        if (!current.version().equals(expected)) {
            throw BackendException.preconditionFailed(key, "object " + key + " has version " + current.version()
                    + ", expected " + expected);
        }
    }

    @Override
    public void deleteConditional(String key, ConditionalDelete condition) {
        Keys.requireValid(key);
        Objects.requireNonNull(condition, "condition");
        ObjectVersion expected = ((ConditionalDelete.IfVersion) condition).version();
        objects.compute(key, (k, current) -> {
            requireVersion(k, current, expected);
            return null;
        });
    }

    @Override
    public boolean download(String key, Path localPath) {
        Stored stored = objects.get(Keys.requireValid(key));
        if (stored == null) {
            return false;
        }
        LocalFiles.replaceAtomically(localPath, key, out -> LocalFiles.writeFully(out, ByteBuffer.wrap(stored.bytes())));
        return true;
    }

    @Override
    public boolean exists(String key) {
        return objects.containsKey(Keys.requireValid(key));
    }

    @Override
    public void delete(String key) {
        objects.remove(Keys.requireValid(key));
    }

    @Override
    public List<String> list(String prefix) {
        Keys.requireValidPrefix(prefix);
        return objects.keySet().stream().filter(k -> k.startsWith(prefix)).sorted().toList();
    }

    /** The number of objects stored: for tests and diagnostics. */
    public int size() {
        return objects.size();
    }

    private static byte[] readLocal(Path localPath, String key) {
        try {
            return Files.readAllBytes(localPath);
        } catch (IOException e) {
            throw BackendException.config(key, "cannot read local file " + localPath + " to upload: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "InMemoryBackend[" + name + ", " + objects.size() + " objects]";
    }
}
