package dev.tenure.snapshot;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.RemoteBackend;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.retry.RetryPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/** Backends, decorators and file helpers shared by the snapshot tests. */
final class Fixtures {

    static final SnapshotOptions OPTIONS = SnapshotOptions.defaults().withRetry(RetryPolicy.tests());

    private Fixtures() {
    }

    /** The two backends every snapshot test runs against. */
    enum Backend {
        MEMORY, LOCAL;

        AtomicRemoteBackend create(Path dir) {
            return this == MEMORY ? new InMemoryBackend() : LocalBackend.create(dir.resolve("store"));
        }
    }

    static Stream<Backend> backends() {
        return Stream.of(Backend.values());
    }

    /**
     * Counts calls per method and per kind of key ({@code manifest} or {@code data}), records every
     * manifest write that succeeded, and injects faults into manifest writes and data downloads.
     */
    static final class Recorder extends ForwardingAtomicBackend {
        private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        final List<byte[]> manifestWrites = Collections.synchronizedList(new ArrayList<>());
        /** Manifest puts to apply and then answer with an ambiguous transport failure. */
        final AtomicInteger ambiguousAfterApplying = new AtomicInteger();
        /** Manifest puts to answer with an ambiguous transport failure without applying them. */
        final AtomicInteger ambiguousWithoutApplying = new AtomicInteger();
        /** Runs once, between a faulty manifest put (applied or not) and its failure. */
        final AtomicReference<Runnable> whileAnswerIsLost = new AtomicReference<>();
        /** Runs once, before the next upload of a content object. */
        final AtomicReference<Runnable> beforeContentUpload = new AtomicReference<>();
        /** Runs once, before the next download of a content object. */
        final AtomicReference<Runnable> beforeContentDownload = new AtomicReference<>();

        Recorder(AtomicRemoteBackend store) {
            super(store);
        }

        AtomicRemoteBackend raw() {
            return delegate;
        }

        int count(String method, String keyKind) {
            AtomicInteger n = calls.get(method + ":" + keyKind);
            return n == null ? 0 : n.get();
        }

        void reset() {
            calls.clear();
        }

        private void tally(String method, String key) {
            String kind = key.endsWith("/manifest") ? "manifest" : key.contains("/data/") ? "data" : "other";
            calls.computeIfAbsent(method + ":" + kind, k -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public Optional<Versioned<byte[]>> read(String key) {
            tally("read", key);
            return super.read(key);
        }

        @Override
        public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
            tally("put", key);
            if (key.endsWith("/manifest")) {
                if (ambiguousAfterApplying.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    super.put(key, bytes, condition);
                    manifestWrites.add(bytes.clone());
                    runOnce(whileAnswerIsLost);
                    throw BackendException.transport(key, true, "test: answer lost after the write was applied", null);
                }
                if (ambiguousWithoutApplying.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    runOnce(whileAnswerIsLost);
                    throw BackendException.transport(key, true, "test: connection reset; the write was not applied", null);
                }
                ObjectVersion v = super.put(key, bytes, condition);
                manifestWrites.add(bytes.clone());
                return v;
            }
            return super.put(key, bytes, condition);
        }

        @Override
        public ObjectVersion uploadConditional(Path localPath, String key, ConditionalPut condition) {
            tally("upload", key);
            if (key.contains("/data/")) {
                runOnce(beforeContentUpload);
            }
            return super.uploadConditional(localPath, key, condition);
        }

        @Override
        public void upload(Path localPath, String key) {
            tally("upload", key);
            super.upload(localPath, key);
        }

        @Override
        public boolean download(String key, Path localPath) {
            tally("download", key);
            if (key.contains("/data/")) {
                runOnce(beforeContentDownload);
            }
            return super.download(key, localPath);
        }

        @Override
        public void delete(String key) {
            tally("delete", key);
            super.delete(key);
        }

        private static void runOnce(AtomicReference<Runnable> hook) {
            Runnable r = hook.getAndSet(null);
            if (r != null) {
                r.run();
            }
        }
    }

    /** A store that offers only the plain contract, as Turso, D1 or an HTTP server would. */
    static final class PlainBackend implements RemoteBackend {
        final InMemoryBackend inner;
        final AtomicInteger downloads = new AtomicInteger();

        PlainBackend(InMemoryBackend inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return "plain";
        }

        @Override
        public boolean download(String key, Path localPath) {
            downloads.incrementAndGet();
            return inner.download(key, localPath);
        }

        @Override
        public void upload(Path localPath, String key) {
            inner.upload(localPath, key);
        }

        @Override
        public boolean exists(String key) {
            return inner.exists(key);
        }

        @Override
        public void delete(String key) {
            inner.delete(key);
        }

        @Override
        public List<String> list(String prefix) {
            return inner.list(prefix);
        }
    }

    static void write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Files in {@code dir} whose names end with {@code .tmp}: downloads or uploads left behind. */
    static List<Path> leftovers(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces a stored object's content with {@code change} applied, unconditionally, as a damaged store would. */
    static void tamper(AtomicRemoteBackend raw, String key, Path scratch, java.util.function.UnaryOperator<byte[]> change) {
        Path file = scratch.resolve("tamper-" + System.nanoTime());
        if (!raw.download(key, file)) {
            throw new AssertionError("no object " + key);
        }
        write(file, change.apply(bytes(file)));
        raw.upload(file, key);
    }
}
