package dev.tenure.snapshot;

import static dev.tenure.snapshot.Fixtures.OPTIONS;
import static dev.tenure.snapshot.Fixtures.bytes;
import static dev.tenure.snapshot.Fixtures.leftovers;
import static dev.tenure.snapshot.Fixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.local.LocalBackend;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencingToken;
import dev.tenure.snapshot.Fixtures.Backend;
import dev.tenure.snapshot.Fixtures.Recorder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SnapshotStoreTest {

    private static final FencingToken EPOCH_1 = new FencingToken("db-writer", 1);
    private static final FencingToken EPOCH_2 = new FencingToken("db-writer", 2);

    @TempDir
    Path dir;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private Recorder recorder(Backend backend) {
        return new Recorder(backend.create(dir));
    }

    private List<String> dataKeys(AtomicRemoteBackend raw) {
        return raw.list("snapshots/db/data/");
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void aFlushedSnapshotIsWhatAReaderDownloads(Backend backend) throws Exception {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path writerFile = dir.resolve("writer/db.sqlite");
        write(writerFile, utf8("first version"));
        try (SnapshotWriter writer = snapshots.writer(EPOCH_1, "replica-1", writerFile)) {
            assertTrue(writer.current().isEmpty(), "nothing flushed yet");
            assertArrayEquals(utf8("first version"), bytes(writerFile), "opening on an empty snapshot leaves the local file alone");
            SnapshotInfo first = writer.flush();
            assertEquals(1, first.generation());
            assertEquals(sha256(utf8("first version")), first.sha256());
            assertEquals(13, first.size());
            assertEquals("replica-1", first.writerId());
            assertEquals(1, first.epoch());

            Path readerFile = dir.resolve("reader/db.sqlite");
            SnapshotReader reader = snapshots.reader(readerFile);
            assertArrayEquals(utf8("first version"), bytes(readerFile));
            assertEquals(first, reader.current().orElseThrow());
            assertFalse(reader.refresh(), "nothing changed");

            write(writerFile, utf8("second version, longer"));
            SnapshotInfo second = writer.flush();
            assertEquals(2, second.generation());
            assertEquals(second, snapshots.latest().orElseThrow());
            assertTrue(reader.refresh(), "a new generation was downloaded");
            assertArrayEquals(utf8("second version, longer"), bytes(readerFile));
            assertEquals(second, reader.current().orElseThrow());
            assertTrue(leftovers(readerFile.getParent()).isEmpty(), "no temporary files left: " + leftovers(readerFile.getParent()));
            assertTrue(leftovers(writerFile.getParent()).isEmpty(), "no staged copies left");
        }
    }

    @Test
    void openingSweepsTheTemporaryFilesACrashLeftButNothingElse() throws Exception {
        SnapshotStore snapshots = SnapshotStore.open(new InMemoryBackend(), "db", OPTIONS);
        Path local = dir.resolve("crashed/db.sqlite");
        write(local, utf8("local"));
        Path download = dir.resolve("crashed/.db.sqlite.3f9a0c1b2d4e5f60.download.tmp");
        write(download, utf8("half"));
        Path upload = dir.resolve("crashed/.db.sqlite.7.upload.tmp");
        write(upload, utf8("half"));
        Path otherFiles = dir.resolve("crashed/.other.sqlite.3f9a.download.tmp");
        write(otherFiles, utf8("not ours"));
        Path notHex = dir.resolve("crashed/.db.sqlite.zz.download.tmp");
        write(notHex, utf8("not ours"));
        snapshots.reader(local);
        assertFalse(Files.exists(download) || Files.exists(upload), "a crashed download's and upload's leftovers are swept");
        assertTrue(Files.exists(otherFiles) && Files.exists(notHex), "files this snapshot never makes are left alone");
        assertArrayEquals(utf8("local"), bytes(local), "nothing stored: the local file stays");
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void aNewWriterStartsFromTheStoredSnapshot(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path a = dir.resolve("a.db");
        write(a, utf8("written by a"));
        snapshots.writer(EPOCH_1, "a", a).flush();

        Path b = dir.resolve("b.db");
        write(b, utf8("stale local junk"));
        assertThrows(SnapshotException.LocalChanges.class, () -> snapshots.writer(EPOCH_2, "b", b),
                "by default a file that never came from the store is not overwritten");
        try (SnapshotWriter writer = snapshots.writer(EPOCH_2, "b", b, LocalFilePolicy.DISCARD_LOCAL_CHANGES)) {
            assertArrayEquals(utf8("written by a"), bytes(b), "asked to, open downloads the stored snapshot over the local file");
            assertEquals(1, writer.current().orElseThrow().generation());
            write(b, utf8("written by b"));
            assertEquals(2, writer.flush().generation());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void aCachedSnapshotIsNotDownloadedAgain(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path writerFile = dir.resolve("w.db");
        write(writerFile, new byte[100_000]);
        snapshots.writer(EPOCH_1, "w", writerFile).flush();

        Path readerFile = dir.resolve("r.db");
        store.reset();
        snapshots.reader(readerFile);
        assertEquals(1, store.count("download", "data"), "the first open downloads");

        store.reset();
        SnapshotReader again = snapshots.reader(readerFile);
        assertEquals(0, store.count("download", "data"), "a second open finds the file up to date");
        assertEquals(1, store.count("read", "manifest"), "and costs one manifest read");
        assertEquals(1, again.current().orElseThrow().generation());

        // A new writer's claim rewrites the manifest but not the content: still nothing to download.
        snapshots.writer(EPOCH_2, "w2", dir.resolve("w2.db"));
        store.reset();
        assertFalse(again.refresh());
        assertEquals(0, store.count("download", "data"), "a claim changes no content");

        // The writer's own file was recorded at its flush: reopening it downloads nothing either.
        store.reset();
        snapshots.reader(writerFile);
        assertEquals(0, store.count("download", "data"));
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void aTamperedOrMissingLocalFileIsDownloadedAgain(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path writerFile = dir.resolve("w.db");
        write(writerFile, utf8("the true content"));
        snapshots.writer(EPOCH_1, "w", writerFile).flush();
        Path readerFile = dir.resolve("r.db");
        SnapshotReader reader = snapshots.reader(readerFile);

        write(readerFile, utf8("the TRUE content")); // same size, other bytes
        store.reset();
        assertTrue(reader.refresh(), "a changed file is replaced");
        assertEquals(1, store.count("download", "data"));
        assertArrayEquals(utf8("the true content"), bytes(readerFile));

        write(readerFile, utf8("short"));
        store.reset();
        snapshots.reader(readerFile);
        assertEquals(1, store.count("download", "data"), "a file of another size is replaced");
        assertArrayEquals(utf8("the true content"), bytes(readerFile));

        store.reset();
        assertTrue(readerFile.toFile().delete());
        snapshots.reader(readerFile);
        assertEquals(1, store.count("download", "data"), "a missing file is downloaded");
        assertArrayEquals(utf8("the true content"), bytes(readerFile));

        write(readerFile.resolveSibling("r.db" + LocalCopy.SIDECAR_SUFFIX), utf8("{not json"));
        store.reset();
        snapshots.reader(readerFile);
        assertEquals(1, store.count("download", "data"), "an unreadable sidecar is only a cache miss");
        store.reset();
        snapshots.reader(readerFile);
        assertEquals(0, store.count("download", "data"), "and the download repaired it");
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void corruptRemoteContentIsATypedErrorAndLeavesTheLocalFileAlone(Backend backend) throws Exception {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path writerFile = dir.resolve("w.db");
        write(writerFile, utf8("generation one"));
        SnapshotWriter writer = snapshots.writer(EPOCH_1, "w", writerFile);
        writer.flush();
        Path readerFile = dir.resolve("r/r.db");
        SnapshotReader reader = snapshots.reader(readerFile);

        write(writerFile, utf8("generation two"));
        String key = writer.flush().contentKey();
        Fixtures.tamper(store.raw(), key, dir, b -> {
            b[3] ^= 0x01;
            return b;
        });

        SnapshotException.Integrity e = assertThrows(SnapshotException.Integrity.class, reader::refresh);
        assertTrue(e.getMessage().contains(key), e.getMessage());
        assertArrayEquals(utf8("generation one"), bytes(readerFile), "the old local file is intact");
        assertEquals(1, reader.current().orElseThrow().generation());
        assertTrue(leftovers(readerFile.getParent()).isEmpty(), "the bad download was removed");

        Path fresh = dir.resolve("fresh/r.db");
        assertThrows(SnapshotException.Integrity.class, () -> snapshots.reader(fresh));
        assertFalse(Files.exists(fresh), "nothing unverified is put in place");

        // A truncated object (same hash, fewer bytes) is refused the same way.
        Fixtures.tamper(store.raw(), key, dir, b -> java.util.Arrays.copyOf(b, b.length - 1));
        assertThrows(SnapshotException.Integrity.class, reader::refresh);
        assertArrayEquals(utf8("generation one"), bytes(readerFile));
        assertEquals(sha256(utf8("generation one")), LocalCopy.hash(readerFile));
    }

    @Test
    void aLocalBackendObjectDamagedOnDiskNeverReplacesTheLocalFile() throws Exception {
        LocalBackend local = LocalBackend.create(dir.resolve("store"));
        SnapshotStore snapshots = SnapshotStore.open(local, "db", OPTIONS);
        Path writerFile = dir.resolve("w.db");
        write(writerFile, utf8("generation one"));
        SnapshotWriter writer = snapshots.writer(EPOCH_1, "w", writerFile);
        writer.flush();
        Path readerFile = dir.resolve("r.db");
        SnapshotReader reader = snapshots.reader(readerFile);
        write(writerFile, utf8("generation two"));
        String key = writer.flush().contentKey();

        Path objectFile = local.root().resolve(key + ".obj");
        byte[] raw = Files.readAllBytes(objectFile);
        raw[raw.length - 2] ^= 0x40;
        Files.write(objectFile, raw);

        BackendException e = assertThrows(BackendException.class, reader::refresh);
        assertEquals(BackendException.Kind.INTERNAL, e.kind(), "the backend's own checksum catches it first");
        assertArrayEquals(utf8("generation one"), bytes(readerFile));
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void aStaleWriterIsFencedOnceANewerTokenOpens(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path oldFile = dir.resolve("old.db");
        write(oldFile, utf8("old holder, generation 1"));
        SnapshotWriter old = snapshots.writer(EPOCH_1, "old", oldFile);
        SnapshotInfo acknowledged = old.flush();

        Path newFile = dir.resolve("new.db");
        SnapshotWriter newer = snapshots.writer(EPOCH_2, "new", newFile);
        assertArrayEquals(utf8("old holder, generation 1"), bytes(newFile));

        write(oldFile, utf8("old holder, paused, then woke up"));
        SnapshotException.Fenced fenced = assertThrows(SnapshotException.Fenced.class, old::flush);
        assertTrue(fenced.getMessage().contains("epoch 2"), fenced.getMessage());
        assertThrows(SnapshotException.Fenced.class, old::flush, "fenced for good");
        assertEquals(acknowledged.contentKey(), snapshots.latest().orElseThrow().contentKey(), "the acknowledged flush is still there");
        assertEquals(List.of(acknowledged.contentKey()), dataKeys(store.raw()), "the refused upload was removed");

        assertThrows(SnapshotException.Fenced.class, () -> snapshots.writer(EPOCH_1, "zombie", dir.resolve("z.db")),
                "a lower epoch cannot even open");

        write(newFile, utf8("new holder"));
        assertEquals(2, newer.flush().generation());
        SnapshotReader reader = snapshots.reader(dir.resolve("r.db"));
        assertArrayEquals(utf8("new holder"), bytes(reader.localFile()));
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void twoWritersFromTheSameVersionOneWinsTheOtherConflicts(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path seed = dir.resolve("seed.db");
        write(seed, utf8("base"));
        snapshots.writer(EPOCH_1, "seed", seed).flush();

        Path a = dir.resolve("a.db");
        Path b = dir.resolve("b.db");
        SnapshotWriter writerA = snapshots.writer(EPOCH_1, "a", a);
        SnapshotWriter writerB = snapshots.writer(EPOCH_1, "b", b);
        write(a, utf8("a's change"));
        write(b, utf8("b's change"));

        SnapshotInfo won = writerA.flush();
        assertEquals(2, won.generation());
        SnapshotException.Conflict conflict = assertThrows(SnapshotException.Conflict.class, writerB::flush);
        assertTrue(conflict.getMessage().contains("written by a"), conflict.getMessage());
        assertEquals(won, snapshots.latest().orElseThrow(), "a's flush was not overwritten");
        assertThrows(SnapshotException.Conflict.class, writerB::flush, "b never retries over a's write");
        assertEquals(2, dataKeys(store.raw()).size(), "b's refused content was removed; base and a's remain");

        assertThrows(SnapshotException.LocalChanges.class, () -> snapshots.writer(EPOCH_1, "b", b),
                "b's refused change is only in b's file: reopening does not silently drop it");
        assertArrayEquals(utf8("b's change"), bytes(b));
        SnapshotWriter reopened = snapshots.writer(EPOCH_1, "b", b, LocalFilePolicy.DISCARD_LOCAL_CHANGES);
        assertArrayEquals(utf8("a's change"), bytes(b), "reopening, discarding, continues from the winner");
        write(b, utf8("b's change on top of a's"));
        assertEquals(3, reopened.flush().generation());
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void anAmbiguousManifestWriteThatLandedIsAcknowledgedOnce(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path file = dir.resolve("w.db");
        write(file, utf8("one"));
        SnapshotWriter writer = snapshots.writer(EPOCH_1, "w", file);
        store.reset();
        store.ambiguousAfterApplying.set(1);

        SnapshotInfo first = writer.flush();
        assertEquals(1, first.generation());
        assertEquals(1, store.count("put", "manifest"), "resolved by reading back, not by writing again");
        assertEquals(first, snapshots.latest().orElseThrow());

        write(file, utf8("two"));
        assertEquals(2, writer.flush().generation(), "the writer continues from the version it read back");
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void anAmbiguousClaimIsResolvedByReadingBack(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path file = dir.resolve("w.db");
        write(file, utf8("x"));
        snapshots.writer(EPOCH_1, "w", file).flush();
        store.reset();
        store.ambiguousAfterApplying.set(1);
        SnapshotWriter writer = snapshots.writer(EPOCH_2, "w2", file);
        assertEquals(1, store.count("put", "manifest"), "the claim landed; it is not sent again");
        write(file, utf8("y"));
        assertEquals(2, writer.flush().generation());
        assertEquals(2, snapshots.latest().orElseThrow().epoch());
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void anAmbiguousManifestWriteThatDidNotLandIsSentAgain(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path file = dir.resolve("w.db");
        write(file, utf8("one"));
        SnapshotWriter writer = snapshots.writer(EPOCH_1, "w", file);
        store.reset();
        store.ambiguousWithoutApplying.set(2);

        SnapshotInfo first = writer.flush();
        assertEquals(1, first.generation());
        assertEquals(3, store.count("put", "manifest"), "two lost attempts, then one that landed");
        assertEquals(first, snapshots.latest().orElseThrow());
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void anAmbiguousWriteThatLandedAndWasWrittenOverIsStillAcknowledged(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path a = dir.resolve("a.db");
        Path b = dir.resolve("b.db");
        SnapshotWriter writerA = snapshots.writer(EPOCH_1, "a", a);
        write(a, utf8("a"));
        store.ambiguousAfterApplying.set(1);
        // While a's answer is lost, b (same epoch) opens on a's write and flushes on top of it.
        store.whileAnswerIsLost.set(() -> {
            SnapshotWriter writerB = snapshots.writer(EPOCH_1, "b", b);
            assertArrayEquals(utf8("a"), bytes(b));
            write(b, utf8("b"));
            writerB.flush();
        });

        SnapshotInfo ack = writerA.flush();
        assertEquals(1, ack.generation(), "a's flush landed: generation 2 names it as the one before");
        assertEquals(2, snapshots.latest().orElseThrow().generation());
        assertThrows(SnapshotException.Conflict.class, writerA::flush, "a's next flush would go over b's");
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void anAmbiguousWriteThatCannotBeToldIsIndeterminate(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path a = dir.resolve("a.db");
        Path b = dir.resolve("b.db");
        SnapshotWriter writerA = snapshots.writer(EPOCH_1, "a", a);
        write(a, utf8("a"));
        store.ambiguousAfterApplying.set(1);
        store.whileAnswerIsLost.set(() -> {
            SnapshotWriter writerB = snapshots.writer(EPOCH_1, "b", b);
            write(b, utf8("b1"));
            writerB.flush();
            write(b, utf8("b2"));
            writerB.flush();
        });

        assertThrows(SnapshotException.Indeterminate.class, writerA::flush,
                "two flushes on top hide whether a's landed: never guess");
        assertThrows(SnapshotException.Indeterminate.class, writerA::flush);
        assertEquals(3, snapshots.latest().orElseThrow().generation());
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void anAmbiguousWriteThatLostTheRaceIsAConflict(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path a = dir.resolve("a.db");
        Path b = dir.resolve("b.db");
        SnapshotWriter writerA = snapshots.writer(EPOCH_1, "a", a);
        SnapshotWriter writerB = snapshots.writer(EPOCH_1, "b", b);
        write(a, utf8("a"));
        write(b, utf8("b"));
        store.ambiguousWithoutApplying.set(1);
        store.whileAnswerIsLost.set(writerB::flush);

        assertThrows(SnapshotException.Conflict.class, writerA::flush, "generation 1 is b's, so a's cannot have landed");
        assertEquals("b", snapshots.latest().orElseThrow().writerId());
        assertEquals(1, dataKeys(store.raw()).size(), "a's content, named by no manifest, was removed");
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void onlyTheCurrentAndThePreviousContentAreKept(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path file = dir.resolve("w.db");
        SnapshotWriter writer = snapshots.writer(EPOCH_1, "w", file);
        SnapshotInfo previous = null;
        SnapshotInfo current = null;
        for (int i = 0; i < 5; i++) {
            write(file, utf8("generation " + (i + 1)));
            previous = current;
            current = writer.flush();
        }
        assertEquals(Set.of(previous.contentKey(), current.contentKey()), Set.copyOf(dataKeys(store.raw())));
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void aNewHolderSweepsWhatOlderEpochsLeftBehind(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path file = dir.resolve("w.db");
        write(file, utf8("x"));
        SnapshotWriter writer = snapshots.writer(EPOCH_1, "w", file);
        writer.flush();
        write(file, utf8("y"));
        SnapshotInfo kept = writer.flush();
        // A crashed epoch-1 flush: its content was uploaded, its manifest never written.
        String orphan = "snapshots/db/data/" + String.format("%019d-%019d-%s", 1, 3, "00000000deadbeef");
        store.raw().put(orphan, utf8("orphan"), ConditionalPut.ifAbsent());
        String foreign = "snapshots/db/data/not-a-tenure-name";
        store.raw().put(foreign, utf8("someone else's"), ConditionalPut.ifAbsent());

        // An upload of the new epoch that is in flight: it may be named by a manifest any moment.
        String inFlight = "snapshots/db/data/" + String.format("%019d-%019d-%s", 2, 3, "00000000cafef00d");
        store.raw().put(inFlight, utf8("in flight"), ConditionalPut.ifAbsent());

        snapshots.writer(EPOCH_2, "w2", dir.resolve("w2.db"));
        List<String> left = dataKeys(store.raw());
        assertFalse(left.contains(orphan), "an older epoch's orphan is swept: " + left);
        assertTrue(left.contains(kept.contentKey()));
        assertTrue(left.contains(foreign), "names Tenure did not write are left alone");
        assertTrue(left.contains(inFlight), "the claiming epoch's own objects are left alone");
        assertEquals(4, left.size(), "current, previous, the foreign and the in-flight object: " + left);
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void aReaderWhoseContentWasDeletedFollowsTheManifest(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path file = dir.resolve("w.db");
        SnapshotWriter writer = snapshots.writer(EPOCH_1, "w", file);
        write(file, utf8("g1"));
        writer.flush();
        // Between the reader's manifest read and its download, the writer flushes twice: g1 is deleted.
        store.beforeContentDownload.set(() -> {
            write(file, utf8("g2"));
            writer.flush();
            write(file, utf8("g3"));
            writer.flush();
        });
        SnapshotReader reader = snapshots.reader(dir.resolve("r.db"));
        assertArrayEquals(utf8("g3"), bytes(reader.localFile()));
        assertEquals(3, reader.current().orElseThrow().generation());
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void missingCurrentContentIsCorrupt(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path file = dir.resolve("w.db");
        write(file, utf8("g1"));
        String key = snapshots.writer(EPOCH_1, "w", file).flush().contentKey();
        store.raw().delete(key);
        SnapshotException.Corrupt e = assertThrows(SnapshotException.Corrupt.class, () -> snapshots.reader(dir.resolve("r.db")));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void aCorruptManifestIsReportedAndNeverOverwritten(Backend backend) {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        store.raw().put("snapshots/db/manifest", utf8("{\"format\":\"tenure.snapshot/1\",\"name\":\"db\""), ConditionalPut.ifAbsent());
        store.reset();
        assertThrows(SnapshotException.Corrupt.class, () -> snapshots.writer(EPOCH_1, "w", dir.resolve("w.db")));
        assertThrows(SnapshotException.Corrupt.class, () -> snapshots.reader(dir.resolve("r.db")));
        assertEquals(0, store.count("put", "manifest"), "no write over a manifest Tenure cannot read");

        // A manifest naming content outside its snapshot would let garbage collection delete anything.
        Manifest.Content elsewhere = new Manifest.Content("leases/writer", 1, "0".repeat(64), "x", 0, 0);
        Manifest hostile = Manifest.claimOfNothing("db", null, 0, "x", "n", 0).flushedBy(elsewhere, null, 0, "n2");
        SnapshotStore other = SnapshotStore.open(store, "other", OPTIONS);
        store.raw().put("snapshots/other/manifest", hostile.encode().clone(), ConditionalPut.ifAbsent());
        assertThrows(SnapshotException.Corrupt.class, other::latest, "the name in the manifest is checked");
    }

    @Test
    void aContentKeyOutsideTheSnapshotIsRefused() {
        Manifest.Content elsewhere = new Manifest.Content("leases/writer", 1, "0".repeat(64), "x", 1, 0);
        Manifest hostile = Manifest.claimOfNothing("db", "l", 1, "x", "n", 0).flushedBy(elsewhere, "l", 1, "n2");
        SnapshotException.Corrupt e = assertThrows(SnapshotException.Corrupt.class,
                () -> Manifest.decode("snapshots/db/manifest", "db", "snapshots/db/data/", hostile.encode()));
        assertTrue(e.getMessage().contains("leases/writer"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/b", ".", "..", "nul\u0000", "tab\tname"})
    void badSnapshotNamesAreConfigErrors(String name) {
        BackendException e = assertThrows(BackendException.class, () -> SnapshotStore.open(new Fixtures.Recorder(
                Backend.MEMORY.create(dir)), name, OPTIONS));
        assertEquals(BackendException.Kind.CONFIG, e.kind());
    }

    @Test
    void otherBadInputsAreConfigErrors() {
        AtomicRemoteBackend memory = Backend.MEMORY.create(dir);
        assertEquals(BackendException.Kind.CONFIG,
                assertThrows(BackendException.class, () -> SnapshotStore.open(memory, null, OPTIONS)).kind());
        assertEquals(BackendException.Kind.CONFIG,
                assertThrows(BackendException.class, () -> SnapshotStore.open(memory, "x".repeat(1000), OPTIONS)).kind(),
                "a name whose content keys would be too long");
        SnapshotStore snapshots = SnapshotStore.open(memory, "db", OPTIONS);
        assertEquals(BackendException.Kind.CONFIG,
                assertThrows(BackendException.class, () -> snapshots.writer(EPOCH_1, " ", dir.resolve("w.db"))).kind());
        assertEquals(BackendException.Kind.CONFIG,
                assertThrows(BackendException.class, () -> snapshots.reader(dir)).kind(), "a directory is no database file");

        Path file = dir.resolve("w.db");
        write(file, utf8("x"));
        snapshots.writer(EPOCH_1, "w", file).flush();
        BackendException otherLease = assertThrows(BackendException.class,
                () -> snapshots.writer(new FencingToken("another-lease", 9), "w", file));
        assertEquals(BackendException.Kind.CONFIG, otherLease.kind(), "epochs of different leases do not compare");
        assertTrue(otherLease.getMessage().contains("db-writer"), otherLease.getMessage());

        SnapshotWriter writer = snapshots.writer(EPOCH_1, "w", file);
        writer.close();
        assertThrows(SnapshotException.Closed.class, writer::flush);
        assertTrue(file.toFile().delete());
        SnapshotWriter noFile = snapshots.writer(EPOCH_1, "w", dir.resolve("gone/w.db"));
        assertTrue(dir.resolve("gone/w.db").toFile().delete());
        assertEquals(BackendException.Kind.CONFIG, assertThrows(BackendException.class, noFile::flush).kind(),
                "flushing a file that does not exist");
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void a32MiBSnapshotRoundTripsByteForByte(Backend backend) throws Exception {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        byte[] content = new byte[32 << 20];
        new Random(42).nextBytes(content);
        Path writerFile = dir.resolve("big.db");
        write(writerFile, content);
        SnapshotInfo info = snapshots.writer(EPOCH_1, "w", writerFile).flush();
        assertEquals(content.length, info.size());
        assertEquals(sha256(content), info.sha256());

        Path readerFile = dir.resolve("r/big.db");
        snapshots.reader(readerFile);
        assertEquals(sha256(content), sha256(Files.readAllBytes(readerFile)));
    }

    @ParameterizedTest
    @MethodSource("dev.tenure.snapshot.Fixtures#backends")
    void theDatabaseMayKeepWritingDuringAFlush(Backend backend) throws Exception {
        Recorder store = recorder(backend);
        SnapshotStore snapshots = SnapshotStore.open(store, "db", OPTIONS);
        Path file = dir.resolve("w.db");
        write(file, utf8("as flushed"));
        SnapshotWriter writer = snapshots.writer(EPOCH_1, "w", file);
        // The database writes again after the file was staged, while the content is being uploaded.
        store.beforeContentUpload.set(() -> write(file, utf8("written during the upload")));
        SnapshotInfo info = writer.flush();
        assertEquals(sha256(utf8("as flushed")), info.sha256(), "the hash is of the bytes uploaded");
        SnapshotReader elsewhere = snapshots.reader(dir.resolve("r.db"));
        assertArrayEquals(utf8("as flushed"), bytes(elsewhere.localFile()), "and they verify");

        store.reset();
        snapshots.reader(file);
        assertEquals(1, store.count("download", "data"), "the writer's file no longer matches what was flushed, so it is replaced");
        assertArrayEquals(utf8("as flushed"), bytes(file));
    }

    @Test
    void emptySnapshotLeavesTheLocalFileAlone() {
        SnapshotStore snapshots = SnapshotStore.open(Backend.MEMORY.create(dir), "db", OPTIONS);
        Path file = dir.resolve("r.db");
        write(file, utf8("local seed"));
        SnapshotReader reader = snapshots.reader(file);
        assertTrue(reader.current().isEmpty());
        assertFalse(reader.refresh());
        assertArrayEquals(utf8("local seed"), bytes(file));
        assertTrue(snapshots.latest().isEmpty());
        // A claim without a flush is still empty to readers.
        snapshots.writer(EPOCH_1, "w", dir.resolve("w.db"));
        assertTrue(snapshots.latest().isEmpty());
        assertFalse(reader.refresh());
    }

    @Test
    void manifestsRoundTripThroughJson() {
        Manifest.Content c = new Manifest.Content("snapshots/db/data/x", 12, "ab".repeat(32), "w", 4, 99);
        Manifest m = Manifest.claimOfNothing("db", "lease", 4, "w", "n1", 5).flushedBy(c, "lease", 4, "n2");
        Manifest back = Manifest.decode("k", "db", "snapshots/db/data/", m.encode());
        assertEquals(m, back);
        Manifest claimed = back.claimedBy("lease", 5, "v", "n3", 7);
        assertEquals(claimed, Manifest.decode("k", "db", "snapshots/db/data/", claimed.encode()));
        assertEquals(c, claimed.content(), "claims keep the content");
        assertEquals(List.of(1L, 1L), List.of(back.generation(), claimed.generation()), "claims keep the generation");
        assertEquals(m.info(), claimed.info(), "readers see the same snapshot after a claim");
    }
}
