package dev.tenure.snapshot;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Keys;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.RemoteBackend;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.internal.LocalFiles;
import dev.tenure.metrics.internal.SnapshotEvents;
import dev.tenure.retry.Retrier;
import dev.tenure.retry.RetryPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One snapshot's objects on one backend: {@code snapshots/<name>/manifest} and the immutable
 * content objects under {@code snapshots/<name>/data/}. Shared by the two stores, the reader and
 * the writers; {@link #atomic} is null when the backend cannot compare-and-swap.
 */
final class SnapshotObjects {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotObjects.class);

    /**
     * How often a reader follows the manifest after the content it named was deleted before the
     * reader fetched it. Each round means the writer flushed twice during one download.
     */
    static final int MAX_CHASES = 16;

    /** The manifest and the version it was read at; the version is null on a plain backend. */
    record Current(Manifest manifest, ObjectVersion version) {
    }

    /** What fetching content into a local file did. */
    enum Fetch {
        /** The file already held it; nothing was downloaded. */
        HELD,
        /** It was downloaded, checked and put in place. */
        DOWNLOADED,
        /** The content object no longer exists. */
        GONE
    }

    /** What a reader's local file holds after a sync, and whether the sync changed it. */
    record Synced(Optional<Manifest> manifest, boolean changed) {
    }

    final RemoteBackend backend;
    final AtomicRemoteBackend atomic;
    final String name;
    final String manifestKey;
    final String dataPrefix;
    final SnapshotOptions options;
    private final SecureRandom nonces = new SecureRandom();
    /** Monotonic time for the steps' deadlines; the retrier reads the same clock. */
    private final LongSupplier nanoClock;
    /** Every retry of every step; each call passes its step's deadline, so the retrier's own is never used. */
    private final Retrier retrier;
    /** Log lines and metrics of pushes and pulls. */
    SnapshotEvents events;

    private SnapshotObjects(RemoteBackend backend, AtomicRemoteBackend atomic, String name, SnapshotOptions options, LongSupplier nanoClock) {
        this.backend = backend;
        this.atomic = atomic;
        this.name = name;
        this.manifestKey = "snapshots/" + name + "/manifest";
        this.dataPrefix = "snapshots/" + name + "/data/";
        this.options = options;
        this.nanoClock = nanoClock;
        this.events = new SnapshotEvents(name, options.observer());
        RandomGenerator anyThread = () -> ThreadLocalRandom.current().nextLong();
        this.retrier = new Retrier("snapshot " + name, options.retry(), Duration.ofNanos(Long.MAX_VALUE), nanoClock, anyThread);
    }

    /**
     * Checks the name (one key segment) and that the longest key it leads to is valid.
     *
     * @throws BackendException CONFIG naming the problem
     */
    static SnapshotObjects of(RemoteBackend backend, AtomicRemoteBackend atomic, String name, SnapshotOptions options) {
        return of(backend, atomic, name, options, System::nanoTime);
    }

    /** As {@link #of(RemoteBackend, AtomicRemoteBackend, String, SnapshotOptions)}, with the deadlines' clock (tests drive it). */
    static SnapshotObjects of(RemoteBackend backend, AtomicRemoteBackend atomic, String name, SnapshotOptions options, LongSupplier nanoClock) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(options, "options");
        if (name == null || name.isEmpty() || name.contains("/") || !Keys.isValid(name)) {
            throw BackendException.config(name, "invalid snapshot name " + (name == null ? "null" : "'" + name + "'")
                    + ": it must be one valid key segment, without '/'", null);
        }
        SnapshotObjects remote = new SnapshotObjects(backend, atomic, name, options, Objects.requireNonNull(nanoClock, "nanoClock"));
        String longest = remote.contentKey(Long.MAX_VALUE, Long.MAX_VALUE, "f".repeat(16));
        if (!Keys.isValid(longest)) {
            throw BackendException.config(name, "snapshot name '" + name + "' is too long: its content keys would exceed "
                    + Keys.MAX_KEY_BYTES + " UTF-8 bytes", null);
        }
        return remote;
    }

    /** The monotonic clock of the steps' deadlines (tests drive it). */
    long nanoTime() {
        return nanoClock.getAsLong();
    }

    /** {@code data/<epoch>-<generation>-<nonce>}, both numbers 19 digits so keys sort by epoch, then generation. */
    String contentKey(long epoch, long generation, String nonce) {
        return dataPrefix + String.format("%019d-%019d-%s", epoch, generation, nonce);
    }

    /** 64 random bits as hex: unique per write, so no version or key is ever reused for another write. */
    String nonce() {
        return HexFormat.of().toHexDigits(nonces.nextLong());
    }

    long now() {
        return options.wallClockMillis().getAsLong();
    }

    // ---- manifest -------------------------------------------------------------------------------

    /** The manifest, or empty when the snapshot was never written. */
    Optional<Current> readManifest() {
        Deadline deadline = deadline(0);
        if (atomic != null) {
            Optional<Versioned<byte[]>> read = withRetries("reading the manifest", deadline, () -> atomic.read(manifestKey));
            return read.map(v -> new Current(decode(v.value()), v.version()));
        }
        // A plain backend only downloads into files.
        Path tmp = scratchFile();
        try {
            if (!withRetries("reading the manifest", deadline, () -> backend.download(manifestKey, tmp))) {
                return Optional.empty();
            }
            return Optional.of(new Current(decode(Files.readAllBytes(tmp)), null));
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(manifestKey, tmp, "read", e);
        } finally {
            LocalFiles.deleteQuietly(tmp);
        }
    }

    private Manifest decode(byte[] bytes) {
        return Manifest.decode(manifestKey, name, dataPrefix, bytes);
    }

    /** One conditional write of the manifest; the caller resolves failures. */
    ObjectVersion putManifest(Manifest manifest, ConditionalPut condition) {
        return atomic.put(manifestKey, manifest.encode(), condition);
    }

    /** Writes the manifest unconditionally (plain backends); retried, since writing the same bytes twice is harmless. */
    void uploadManifest(Manifest manifest) {
        Path tmp = scratchFile();
        try {
            Files.write(tmp, manifest.encode());
            withRetriesOnAnyTransport("writing the manifest", deadline(0), () -> backend.upload(tmp, manifestKey));
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(manifestKey, tmp, "write", e);
        } finally {
            LocalFiles.deleteQuietly(tmp);
        }
    }

    private static Path scratchFile() {
        try {
            return Files.createTempFile("tenure-snapshot-", ".manifest");
        } catch (IOException e) {
            throw LocalFiles.mapLocalFailure(null, Path.of(System.getProperty("java.io.tmpdir")), "write", e);
        }
    }

    // ---- content --------------------------------------------------------------------------------

    /**
     * Uploads a content object under its new, unique key: with {@code IfAbsent} on an atomic backend.
     * An ambiguous failure is resolved by asking whether the key exists: nobody else writes it.
     */
    void uploadContent(Path staged, String key) {
        Deadline deadline = deadline(sizeOf(staged));
        String step = "uploading content " + key;
        if (atomic == null) {
            withRetriesOnAnyTransport(step, deadline, () -> backend.upload(staged, key));
            return;
        }
        AtomicBoolean mayHaveLanded = new AtomicBoolean();
        resending(step, deadline, () -> {
            try {
                atomic.uploadConditional(staged, key, ConditionalPut.ifAbsent());
                return null;
            } catch (BackendException e) {
                if (e.is(BackendException.Kind.PRECONDITION_FAILED) && mayHaveLanded.get()) {
                    return null; // an earlier attempt of ours landed; the nonce makes the key ours alone
                }
                // Read back before sending again; a failure of the check itself ends the step as it is.
                if (e.ambiguous()) {
                    mayHaveLanded.set(true);
                    if (withRetries(step, deadline, () -> backend.exists(key))) {
                        return null;
                    }
                }
                throw e.retryable() ? new Resend(e) : e;
            }
        });
    }

    /**
     * Makes {@code local} hold the content {@code manifest} names, downloading it only when the
     * file does not hold it already. The download goes to a temporary file beside the local one
     * and replaces it only after its size and SHA-256 match the manifest.
     */
    Fetch fetch(LocalCopy local, Manifest manifest) {
        if (local.holds(manifest.content())) {
            return Fetch.HELD;
        }
        Path tmp = local.temporary("download");
        long started = nanoClock.getAsLong();
        try {
            if (!withRetries("downloading content " + manifest.content().key(), deadline(manifest.content().size()),
                    () -> backend.download(manifest.content().key(), tmp))) {
                return Fetch.GONE;
            }
            local.install(tmp, manifest);
            events.pulled(manifest.generation(), manifest.content().size(), nanoClock.getAsLong() - started);
            return Fetch.DOWNLOADED;
        } finally {
            LocalFiles.deleteQuietly(tmp);
        }
    }

    /**
     * Brings a reader's file up to the current manifest. Content is deleted two flushes after it
     * was superseded, so a reader that finds it gone reads the manifest again and follows it; only
     * a manifest whose own content is missing is corrupt.
     */
    Synced sync(LocalCopy local) {
        String gone = null;
        for (int round = 0; round < MAX_CHASES; round++) {
            Optional<Current> current = readManifest();
            if (current.isEmpty() || current.get().manifest().content() == null) {
                return new Synced(Optional.empty(), false);
            }
            Manifest m = current.get().manifest();
            if (m.content().key().equals(gone)) {
                throw missing(m);
            }
            switch (fetch(local, m)) {
                case HELD:
                    return new Synced(Optional.of(m), false);
                case DOWNLOADED:
                    return new Synced(Optional.of(m), true);
                default:
                    gone = m.content().key();
            }
        }
        throw BackendException.transport(manifestKey, false, "snapshot " + name + " changed " + MAX_CHASES
                + " times while it was being downloaded: the writer flushes faster than this reader downloads", null);
    }

    SnapshotException.Corrupt missing(Manifest m) {
        return new SnapshotException.Corrupt("snapshot " + name + ": the content object " + m.content().key()
                + " named by the current manifest (generation " + m.generation() + ") does not exist");
    }

    // ---- garbage --------------------------------------------------------------------------------

    /** Deletes a superseded content object; a failure only leaves garbage behind, so it is logged, not thrown. */
    void deleteQuietly(String key) {
        try {
            backend.delete(key);
        } catch (BackendException e) {
            LOG.warn("snapshot {}: could not delete superseded content {}: {}", name, key, e.getMessage());
        }
    }

    /**
     * Deletes content objects written by writers with an epoch below {@code epoch}, except what
     * {@code keep} names. Run once by a writer that has just claimed the snapshot: no lower-epoch
     * writer can make a manifest name anything any more, so what they left is garbage. Objects of
     * the same epoch are left alone; they may be a concurrent flush of the same lease holder.
     */
    void sweepBelow(long epoch, Manifest keep) {
        List<String> keys;
        try {
            keys = withRetries("listing " + dataPrefix, deadline(0), () -> backend.list(dataPrefix));
        } catch (BackendException e) {
            LOG.warn("snapshot {}: could not list {} to remove old content: {}", name, dataPrefix, e.getMessage());
            return;
        }
        for (String key : keys) {
            if ((keep.content() != null && key.equals(keep.content().key())) || key.equals(keep.previousContentKey())) {
                continue;
            }
            String rest = key.substring(dataPrefix.length());
            int dash = rest.indexOf('-');
            try {
                if (dash > 0 && Long.parseLong(rest.substring(0, dash)) < epoch) {
                    deleteQuietly(key);
                }
            } catch (NumberFormatException e) {
                // Not a name Tenure writes: somebody else's object, left alone.
            }
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // the upload itself will say what is wrong with the file
        }
    }

    // ---- retries ----------------------------------------------------------------------------------

    /**
     * A deadline for one step starting now: the options' deadline, else the backend's operation
     * deadline, else none; a step that moves {@code transferBytes} gets one more second per MiB,
     * as the HTTP backends give a large body.
     */
    Deadline deadline(long transferBytes) {
        Optional<Duration> budget = options.deadline().or(backend::operationDeadline).map(d -> d.plusSeconds(transferBytes >> 20));
        return Deadline.start(nanoClock, budget, options.deadline().isPresent() ? "SnapshotOptions.deadline"
                : "the backend's operation deadline, its requestTimeoutMs");
    }

    /**
     * Idempotent requests: non-ambiguous transport failures are retried with backoff while the
     * policy and {@code deadline} allow; at the deadline the step ends with a TRANSPORT error that says so.
     */
    <T> T withRetries(String step, Deadline deadline, Supplier<T> call) {
        return retrying(step, deadline, RetryPolicy::retryableBlindly, call);
    }

    /** As {@link #withRetries(String, Deadline, Supplier)} with a deadline of its own. */
    <T> T withRetries(String step, Supplier<T> call) {
        return withRetries(step, deadline(0), call);
    }

    /** Unconditional writes of bytes that never change: even an ambiguous failure may simply be sent again. */
    private void withRetriesOnAnyTransport(String step, Deadline deadline, Runnable write) {
        retrying(step, deadline, BackendException::retryable, () -> {
            write.run();
            return null;
        });
    }

    /** One request, sent again after the failures {@code resend} accepts; any other ends the step. */
    private <T> T retrying(String step, Deadline deadline, Predicate<BackendException> resend, Supplier<T> call) {
        return resending(step, deadline, () -> {
            try {
                return call.get();
            } catch (BackendException e) {
                throw resend.test(e) ? new Resend(e) : giveUp(deadline, step, e);
            }
        });
    }

    /**
     * Thrown by one round of a {@link #resending} step to have the round run again, after backoff,
     * when the policy and the deadline allow: its write failed retryably and, when the failure was
     * ambiguous, the round has read back and found that it did not land. When they do not allow,
     * {@code ifLast} turns the step's final failure (the deadline's error once it has passed,
     * {@code failure} otherwise) into what the step throws.
     */
    static final class Resend extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final BackendException failure;
        private final transient Function<BackendException, RuntimeException> ifLast;

        Resend(BackendException failure) {
            this(failure, last -> last);
        }

        Resend(BackendException failure, Function<BackendException, RuntimeException> ifLast) {
            super(failure.getMessage(), failure, false, false); // control flow: no stack trace to fill in
            this.failure = failure;
            this.ifLast = ifLast;
        }
    }

    /**
     * Runs {@code round} through the shared {@link Retrier} until it returns, running it again
     * when it throws {@link Resend}, bounded by the retry policy and {@code deadline}. Any other
     * failure (a read-back's, a definite refusal) ends the step at once, as it is.
     */
    <T> T resending(String step, Deadline deadline, Supplier<T> round) {
        try {
            return retrier.until(deadline.endNanos(), e -> e instanceof Resend, round);
        } catch (Resend r) {
            throw r.ifLast.apply(giveUp(deadline, step, r.failure));
        }
    }

    /** What a step that stops on {@code failure} throws: the deadline's error when it passed and the failure was transient. */
    private BackendException giveUp(Deadline deadline, String step, BackendException failure) {
        return failure.retryable() && deadline.expired() ? deadline.exceeded(name, step, failure) : failure;
    }
}
