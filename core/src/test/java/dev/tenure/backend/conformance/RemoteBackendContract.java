package dev.tenure.backend.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.RemoteBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The half of the conformance suite every {@link RemoteBackend} must pass: sequential semantics
 * of transport, listing, key validation and large objects.
 *
 * <p>A backend's test extends this class (or {@link AtomicRemoteBackendContract}) and supplies
 * {@link #newBackend()}. Each test works under its own random key prefix, so a shared bucket or
 * server serves every test without cleanup between them.
 *
 * @param <B> the backend type under test
 */
public abstract class RemoteBackendContract<B extends RemoteBackend> {

    /** Keys that every backend must refuse with a CONFIG error naming the key. */
    protected static final List<String> BAD_KEYS = List.of(
            "", "/leading", "a//b", "trailing/", "a/./b", "a/../b", "..", ".", "../escape", "a/..",
            "nul\u0000byte", "new\nline", "tab\tkey", "del\u007Fkey", "x".repeat(1025));

    /** The backend of the current test, made by {@link #newBackend()}. */
    protected B backend;
    /** A fresh key prefix for the current test, ending with {@code /}. */
    protected String ns;
    /** A scratch directory for local files of the current test. */
    protected Path scratch;

    /** Creates a backend to test; it may share state with earlier ones (tests use fresh prefixes). */
    protected abstract B newBackend() throws Exception;

    /**
     * Why this backend cannot be tested here (no server, no Docker engine), or empty when it can.
     * When present, every test of the suite is skipped with the reason printed.
     */
    protected Optional<String> unavailableReason() {
        return Optional.empty();
    }

    /** Called after each test with the backend it used; the default does nothing. */
    protected void discardBackend(B used) throws Exception {
    }

    @BeforeEach
    void openBackend() throws Exception {
        Optional<String> unavailable = unavailableReason();
        if (unavailable.isPresent()) {
            System.out.println("[skip] " + getClass().getSimpleName() + ": " + unavailable.get());
            Assumptions.abort(unavailable.get());
        }
        backend = newBackend();
        ns = "conformance-" + UUID.randomUUID() + "/";
        scratch = Files.createTempDirectory("tenure-conformance-");
    }

    @AfterEach
    void closeBackend() throws Exception {
        try {
            if (backend != null) {
                backend.close();
                discardBackend(backend);
            }
        } finally {
            deleteRecursively(scratch);
        }
    }

    /** The key {@code name} under this test's prefix. */
    protected String key(String name) {
        return ns + name;
    }

    /** Writes bytes to a fresh local file and returns its path. */
    protected Path localFile(byte[] content) throws IOException {
        Path file = Files.createTempFile(scratch, "local-", ".bin");
        Files.write(file, content);
        return file;
    }

    /** UTF-8 bytes of a string. */
    protected static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Downloads a key into a fresh local file and returns its bytes; fails when it is absent. */
    protected byte[] downloadBytes(String key) throws IOException {
        Path target = scratch.resolve("download-" + UUID.randomUUID());
        assertTrue(backend.download(key, target), "expected " + key + " to exist");
        return Files.readAllBytes(target);
    }

    // ---- transport -----------------------------------------------------------------------------

    @Test
    void uploadThenDownloadReturnsTheSameBytes() throws IOException {
        byte[] content = utf8("hello, tenure");
        backend.upload(localFile(content), key("greeting"));
        assertArrayEquals(content, downloadBytes(key("greeting")));
    }

    @Test
    void emptyObjectsRoundTrip() throws IOException {
        backend.upload(localFile(new byte[0]), key("empty"));
        assertTrue(backend.exists(key("empty")));
        assertArrayEquals(new byte[0], downloadBytes(key("empty")));
    }

    @Test
    void uploadOverwritesUnconditionally() throws IOException {
        backend.upload(localFile(utf8("first")), key("k"));
        backend.upload(localFile(utf8("second")), key("k"));
        assertArrayEquals(utf8("second"), downloadBytes(key("k")));
    }

    @Test
    void downloadOfMissingKeyReturnsFalseAndLeavesTheLocalFileAlone() throws IOException {
        Path target = localFile(utf8("keep me"));
        assertFalse(backend.download(key("missing"), target));
        assertArrayEquals(utf8("keep me"), Files.readAllBytes(target));
    }

    @Test
    void downloadReplacesAnExistingLocalFileAndCreatesParents() throws IOException {
        backend.upload(localFile(utf8("remote")), key("k"));
        Path existing = localFile(utf8("a much longer local file that must be replaced whole"));
        assertTrue(backend.download(key("k"), existing));
        assertArrayEquals(utf8("remote"), Files.readAllBytes(existing));
        Path nested = scratch.resolve("new/dir/file.db");
        assertTrue(backend.download(key("k"), nested));
        assertArrayEquals(utf8("remote"), Files.readAllBytes(nested));
    }

    @Test
    void existsFollowsUploadAndDelete() throws IOException {
        assertFalse(backend.exists(key("k")));
        backend.upload(localFile(utf8("x")), key("k"));
        assertTrue(backend.exists(key("k")));
        backend.delete(key("k"));
        assertFalse(backend.exists(key("k")));
        assertFalse(backend.download(key("k"), scratch.resolve("gone")));
    }

    @Test
    void deleteOfMissingKeySucceeds() {
        backend.delete(key("never-written"));
        assertFalse(backend.exists(key("never-written")));
    }

    @Test
    void uploadOfMissingLocalFileIsAConfigErrorAndWritesNothing() {
        BackendException e = assertThrows(BackendException.class,
                () -> backend.upload(scratch.resolve("no-such-file"), key("k")));
        assertEquals(BackendException.Kind.CONFIG, e.kind(), e.toString());
        assertFalse(backend.exists(key("k")));
    }

    @Test
    void keysWithUnusualCharactersRoundTripAndListExactly() throws IOException {
        List<String> names = List.of("with space", "per%cent", "plus+sign", "unicode-\u00e9\u4e2d\ud83d\ude00",
                ".leading-dot", "suffix.obj", "dir.obj/inner", "suffix", "a=b&c", "tilde~", "colon:x");
        for (String name : names) {
            backend.upload(localFile(utf8("v:" + name)), key(name));
        }
        for (String name : names) {
            assertArrayEquals(utf8("v:" + name), downloadBytes(key(name)), name);
        }
        List<String> expected = names.stream().map(this::key).sorted().toList();
        assertEquals(expected, backend.list(ns));
    }

    // ---- listing -------------------------------------------------------------------------------

    @Test
    void listReturnsEveryKeyUnderThePrefixSorted() throws IOException {
        Path one = localFile(utf8("1"));
        List<String> names = List.of("b", "a", "a/b", "a/b/c", "ab", "ledger/0002", "ledger/0001", "ledger2/x");
        for (String name : names) {
            backend.upload(one, key(name));
        }
        assertEquals(names.stream().map(this::key).sorted().toList(), backend.list(ns));
        assertEquals(List.of(key("a"), key("a/b"), key("a/b/c"), key("ab")), backend.list(key("a")));
        assertEquals(List.of(key("a/b"), key("a/b/c")), backend.list(key("a/")));
        assertEquals(List.of(key("ledger/0001"), key("ledger/0002")), backend.list(key("ledger/")));
        assertEquals(List.of(key("ledger/0001"), key("ledger/0002"), key("ledger2/x")), backend.list(key("led")));
        assertEquals(List.of(), backend.list(key("zzz")));
        assertEquals(List.of(), backend.list(key("nothing/here/")));
    }

    @Test
    void listFollowsPaginationPastAThousandKeys() throws Exception {
        int count = listingKeyCount();
        Path one = localFile(utf8("1"));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            expected.add(key(String.format("many/%05d", i)));
        }
        inParallel(8, expected, k -> backend.upload(one, k));
        backend.upload(one, key("other"));
        List<String> listed = backend.list(key("many/"));
        assertEquals(count, listed.size());
        assertEquals(expected, listed);
        assertEquals(count + 1, backend.list(ns).size());
        System.out.printf("[conformance] %s: listed %d keys under one prefix%n", backend.name(), listed.size());
    }

    /** How many keys the pagination test writes; more than 1,000 (one S3 page). */
    protected int listingKeyCount() {
        return 1100;
    }

    // ---- validation ----------------------------------------------------------------------------

    @Test
    void badKeysAreConfigErrorsThatNameTheKey() throws IOException {
        Path file = localFile(utf8("x"));
        for (String bad : BAD_KEYS) {
            List<Runnable> calls = List.of(
                    () -> backend.upload(file, bad),
                    () -> backend.download(bad, scratch.resolve("out")),
                    () -> backend.exists(bad),
                    () -> backend.delete(bad));
            for (Runnable call : calls) {
                assertConfigErrorNaming(bad, call);
            }
        }
        assertConfigErrorNaming("/abs", () -> backend.list("/abs"));
        assertConfigErrorNaming("a/../", () -> backend.list("a/../"));
        assertEquals(List.of(), backend.list(ns), "nothing may have been written");
    }

    /** Asserts that {@code call} fails with a CONFIG error that carries {@code bad} and names it in its message. */
    protected static void assertConfigErrorNaming(String bad, Runnable call) {
        BackendException e = assertThrows(BackendException.class, call::run, () -> "expected CONFIG for key " + printable(bad));
        assertEquals(BackendException.Kind.CONFIG, e.kind(), e.toString());
        assertEquals(bad, e.key().orElse(null), () -> "error should carry the key: " + e);
        if (bad.length() <= 200 && bad.chars().noneMatch(Character::isISOControl)) {
            assertTrue(e.getMessage().contains("\"" + bad + "\""), () -> "error should name the key " + printable(bad) + ": " + e.getMessage());
        }
    }

    private static String printable(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s.replaceAll("\\p{Cntrl}", "?");
    }

    // ---- large objects -------------------------------------------------------------------------

    @Test
    void a64MiBObjectRoundTripsByteForByte() throws Exception {
        long size = largeObjectBytes();
        Path source = scratch.resolve("large.bin");
        byte[] expectedDigest = writeRandomFile(source, size, 42);
        backend.upload(source, key("large"));
        Path target = scratch.resolve("large.out");
        assertTrue(backend.download(key("large"), target));
        assertEquals(size, Files.size(target));
        assertArrayEquals(expectedDigest, sha256(target), "downloaded bytes differ from uploaded bytes");
        System.out.printf("[conformance] %s: %d MiB uploaded and downloaded, SHA-256 equal%n", backend.name(), size >> 20);
    }

    /** Size of the large-object test; 64 MiB. */
    protected long largeObjectBytes() {
        return 64L << 20;
    }

    // ---- model-based property ------------------------------------------------------------------

    /** One step of a random history against a plain (non-atomic) backend. */
    sealed interface PlainOp {
        int key();
    }

    record Upload(int key, int value) implements PlainOp {
    }

    record Download(int key) implements PlainOp {
    }

    record Delete(int key) implements PlainOp {
    }

    record Exists(int key) implements PlainOp {
    }

    record ListAll(int key) implements PlainOp {
    }

    /** Names of the few keys histories use; few keys make collisions likely. */
    static final List<String> MODEL_KEYS = List.of("k0", "k1", "dir/k2", "dir/sub/k3");

    @Provide
    Arbitrary<List<PlainOp>> plainOps() {
        Arbitrary<Integer> keys = Arbitraries.integers().between(0, MODEL_KEYS.size() - 1);
        Arbitrary<Integer> values = Arbitraries.integers().between(0, 3);
        return Arbitraries.<PlainOp>oneOf(
                Combinators.combine(keys, values).as(Upload::new),
                keys.map(Download::new),
                keys.map(Delete::new),
                keys.map(Exists::new),
                keys.map(ListAll::new)).list().ofMaxSize(40);
    }

    @Property(tries = 40)
    @AddLifecycleHook(UnavailableBackendHook.class)
    void plainHistoriesMatchASimpleModel(@ForAll("plainOps") List<PlainOp> history) throws Exception {
        B b = newBackend();
        String prefix = "model-" + UUID.randomUUID() + "/";
        Path dir = Files.createTempDirectory("tenure-model-");
        try {
            TreeMap<String, byte[]> model = new TreeMap<>();
            for (PlainOp op : history) {
                String k = prefix + MODEL_KEYS.get(op.key());
                if (op instanceof Upload u) {
                    byte[] content = utf8("value-" + u.value());
                    Path f = dir.resolve("up");
                    Files.write(f, content);
                    b.upload(f, k);
                    model.put(k, content);
                } else if (op instanceof Download) {
                    Path f = dir.resolve("down");
                    Files.deleteIfExists(f);
                    boolean found = b.download(k, f);
                    assertEquals(model.containsKey(k), found, () -> "download " + k + " after " + history);
                    if (found) {
                        assertArrayEquals(model.get(k), Files.readAllBytes(f));
                    }
                } else if (op instanceof Delete) {
                    b.delete(k);
                    model.remove(k);
                } else if (op instanceof Exists) {
                    assertEquals(model.containsKey(k), b.exists(k), () -> "exists " + k);
                } else {
                    assertEquals(new ArrayList<>(model.keySet()), b.list(prefix));
                }
            }
        } finally {
            b.close();
            discardBackend(b);
            deleteRecursively(dir);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Runs {@code action} for every item on {@code threads} threads; rethrows the first failure. */
    protected static <T> void inParallel(int threads, List<T> items, Consumer<T> action) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (T item : items) {
                futures.add(pool.submit(() -> action.accept(item)));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Writes {@code size} pseudo-random bytes from {@code seed} and returns their SHA-256. */
    protected static byte[] writeRandomFile(Path file, long size, long seed) throws IOException {
        MessageDigest digest = sha256Digest();
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                random.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                digest.update(chunk, 0, n);
                left -= n;
            }
        }
        return digest.digest();
    }

    /** The SHA-256 of a file, streamed. */
    protected static byte[] sha256(Path file) throws IOException {
        MessageDigest digest = sha256Digest();
        byte[] chunk = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(chunk)) > 0) {
                digest.update(chunk, 0, n);
            }
        }
        return digest.digest();
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Deletes a directory tree; missing is fine. */
    protected static void deleteRecursively(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
