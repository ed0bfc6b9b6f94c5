package dev.tenure.snapshot;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.internal.LocalFiles;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.Lease;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads a local database file as the snapshot's new content on {@link #flush()}.
 *
 * <p>A <em>fenced</em> writer ({@link SnapshotStore#writer}) works on an atomic backend: opening
 * it claims the snapshot for its token's epoch, and every flush is a compare-and-swap of the
 * manifest on the version this writer last saw, so it either lands on top of exactly what this
 * writer last saw or fails with {@link SnapshotException.Fenced} or
 * {@link SnapshotException.Conflict}; it never overwrites a write it has not seen. An
 * <em>unfenced</em> writer ({@link UnconditionalSnapshotStore#unfencedWriter}) writes
 * unconditionally: the last manifest written wins, whoever wrote it.
 *
 * <p>What opening does with the local file is the caller's {@link LocalFilePolicy}. By default
 * it downloads the current snapshot into the file when the file is missing or an unchanged copy
 * of stored content, so the writer starts from what is stored, and it refuses with
 * {@link SnapshotException.LocalChanges} a file holding data the store does not have: opening
 * never overwrites such data unless the caller asks with
 * {@link LocalFilePolicy#DISCARD_LOCAL_CHANGES}. With {@link LocalFilePolicy#UPLOAD_LOCAL_FILE}
 * the file is left as it is and the next flush uploads it. After a {@code Fenced},
 * {@code Conflict} or {@code Indeterminate} failure every later flush fails the same way: open a
 * new writer to go on. Closing does not flush. Thread-safe; flushes run one at a time.
 */
public final class SnapshotWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotWriter.class);

    /** Whether an ambiguous manifest write is known to have landed. */
    private enum Landed {
        YES, NO, UNKNOWN
    }

    private final SnapshotObjects remote;
    private final LocalCopy local;
    private final String writerId;
    /** The lease whose tokens fence the snapshot; null for an unfenced writer. */
    private final String lease;
    private final long epoch;
    /** What the next conditional flush compares against. */
    private SnapshotObjects.Current base;
    /** The snapshot as this writer last saw or wrote it. */
    private Manifest seen;
    private SnapshotException failure;
    private boolean closed;
    /** Set (from the lease's callback thread) when the lease this writer is bound to ended. */
    private volatile SnapshotException.Closed leaseEnded;
    /** The lease this writer is bound to, if any: checked again right before a manifest write is sent. */
    private volatile Lease bound;

    private SnapshotWriter(SnapshotObjects remote, LocalCopy local, String writerId, String lease, long epoch) {
        this.remote = remote;
        this.local = local;
        this.writerId = writerId;
        this.lease = lease;
        this.epoch = epoch;
    }

    static SnapshotWriter fenced(SnapshotObjects remote, FencingToken token, String writerId, Path localPath, LocalFilePolicy policy) {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(policy, "policy");
        SnapshotWriter w = new SnapshotWriter(remote, LocalCopy.of(remote.name, localPath), requireWriterId(writerId),
                token.name(), token.epoch());
        if (policy == LocalFilePolicy.UPLOAD_LOCAL_FILE) {
            w.local.requireExisting(); // before the claim: a writer with nothing to upload writes nothing
        }
        boolean claimed = w.claim();
        if (claimed) {
            // Keeps the current and previous content, so the download below still finds its object.
            remote.sweepBelow(w.epoch, w.base.manifest());
        }
        w.prepareLocalFile(policy);
        return w;
    }

    static SnapshotWriter unfenced(SnapshotObjects remote, String writerId, Path localPath, LocalFilePolicy policy) {
        Objects.requireNonNull(policy, "policy");
        SnapshotWriter w = new SnapshotWriter(remote, LocalCopy.of(remote.name, localPath), requireWriterId(writerId), null, 0);
        if (policy == LocalFilePolicy.UPLOAD_LOCAL_FILE) {
            w.local.requireExisting();
        }
        Optional<SnapshotObjects.Current> read = remote.readManifest();
        if (read.isPresent() && read.get().manifest().epoch() > 0) {
            throw w.ownedByFencedWriters(read.get().manifest());
        }
        Manifest stored = read.map(SnapshotObjects.Current::manifest).orElse(null);
        if (policy == LocalFilePolicy.UPLOAD_LOCAL_FILE || stored == null || stored.content() == null) {
            w.seen = stored; // nothing to download, or the caller's file is what the next flush uploads
            return w;
        }
        if (policy == LocalFilePolicy.REFUSE_LOCAL_CHANGES) {
            w.local.refuseUnsavedChanges(stored);
        }
        SnapshotObjects.Synced synced = remote.sync(w.local);
        w.seen = synced.manifest().orElse(stored);
        return w;
    }

    private static String requireWriterId(String writerId) {
        if (writerId == null || writerId.isBlank()) {
            throw BackendException.config(null, "a snapshot writer needs a non-blank writer id, not "
                    + (writerId == null ? "null" : "'" + writerId + "'"), null);
        }
        return writerId;
    }

    /** The local file this writer uploads. */
    public Path localFile() {
        return local.file();
    }

    /** The epoch this writer writes with; 0 for an unfenced writer. */
    public long epoch() {
        return epoch;
    }

    /** True when flushes are compare-and-swap (a fenced writer on an atomic backend). */
    public boolean conditional() {
        return lease != null;
    }

    /** The snapshot as this writer last saw or wrote it; empty when nothing was ever flushed. */
    public synchronized Optional<SnapshotInfo> current() {
        return seen == null ? Optional.empty() : seen.info();
    }

    /**
     * Uploads the local file as the snapshot's next generation. The file is copied aside and
     * hashed first, so the database may keep writing to it meanwhile; what is uploaded is the copy.
     * The flush is acknowledged (this method returns) only after the manifest names the new content.
     *
     * @return the snapshot just written
     * @throws SnapshotException.Fenced a writer with a higher epoch claimed the snapshot (fenced
     *     writer), or a fenced writer owns it (unfenced writer); nothing was applied
     * @throws SnapshotException.Conflict another writer of the same epoch flushed first; nothing was applied
     * @throws SnapshotException.Indeterminate the manifest write failed ambiguously and reading back could not tell
     * @throws SnapshotException.Closed the writer was closed
     * @throws BackendException when the backend fails beyond the retry policy; nothing was applied
     *     unless the error is {@linkplain BackendException#ambiguous() ambiguous}
     */
    public synchronized SnapshotInfo flush() {
        SnapshotException.Closed ended = boundLeaseEnded();
        if (ended != null) {
            throw ended;
        }
        if (closed) {
            throw new SnapshotException.Closed("snapshot writer " + writerId + " for " + remote.name + " is closed");
        }
        if (failure != null) {
            throw failure;
        }
        long started = remote.nanoTime();
        SnapshotInfo flushed = conditional() ? flushConditionally() : flushUnconditionally();
        remote.events.pushed(writerId, flushed.epoch(), flushed.generation(), flushed.size(), remote.nanoTime() - started);
        return flushed;
    }

    /**
     * Binds this writer to {@code lease}: when the lease ends (revoked, released, its election or
     * manager closed; see {@link Lease#whenLost()}) the writer closes itself, without waiting for a
     * flush in progress. Every later flush fails with {@link SnapshotException.Closed} naming the
     * lease's end; a flush in progress that has not yet sent its manifest write stops before it
     * (nothing applied, its content removed) with the same error; one whose manifest write is already
     * on its way is decided as usual (acknowledged only if it landed; the epoch check of the
     * manifest fences it anyway once another holder has claimed the snapshot).
     *
     * @return this writer
     * @throws IllegalArgumentException when the lease is not the one whose token this writer writes with
     */
    public SnapshotWriter closeWhenLost(Lease bound) {
        if (!bound.fencingToken().name().equals(lease) || bound.fencingToken().epoch() != epoch) {
            throw new IllegalArgumentException("snapshot writer " + writerId + " writes with " + lease + "@" + epoch
                    + ", not with lease " + bound.fencingToken());
        }
        this.bound = bound;
        bound.whenLost().thenAccept(r -> boundLeaseEnded());
        return this;
    }

    /** The error every flush fails with once the bound lease has ended (checked on the lease itself, not only when told). */
    private SnapshotException.Closed boundLeaseEnded() {
        SnapshotException.Closed ended = leaseEnded;
        Lease l = bound;
        if (ended == null && l != null && !l.isValid()) {
            String why = l.revocation().map(Object::toString).orElse("lease " + l.fencingToken() + " is no longer valid");
            ended = new SnapshotException.Closed("snapshot writer " + writerId + " for " + remote.name + " closed itself: " + why);
            leaseEnded = ended;
        }
        return ended;
    }

    /** Stops this writer; later flushes fail with {@link SnapshotException.Closed}. Does not flush. */
    @Override
    public synchronized void close() {
        closed = true;
    }

    // ---- fenced writers -------------------------------------------------------------------------

    /**
     * Makes the manifest carry this writer's epoch, with compare-and-swap, so that every writer of
     * a lower epoch fails its next flush. A manifest already at this epoch is adopted as it is.
     *
     * @return true when this call raised the epoch
     */
    private boolean claim() {
        // Each round reads, judges and writes; the shared retrier runs it again after a transport failure.
        return remote.resending("claiming it for epoch " + epoch, remote.deadline(0), () -> {
            while (true) {
                Optional<SnapshotObjects.Current> read = remote.readManifest();
                if (read.isPresent()) {
                    Manifest m = read.get().manifest();
                    if (m.lease() != null && !m.lease().equals(lease)) {
                        throw BackendException.config(remote.manifestKey, "snapshot " + remote.name + " is fenced by tokens of lease '"
                                + m.lease() + "', not '" + lease + "': epochs of different leases do not compare", null);
                    }
                    if (m.epoch() > epoch) {
                        throw refusal(m);
                    }
                    if (m.epoch() == epoch) {
                        base = read.get();
                        seen = m;
                        return false;
                    }
                }
                String nonce = remote.nonce();
                Manifest claim = read.isPresent()
                        ? read.get().manifest().claimedBy(lease, epoch, writerId, nonce, remote.now())
                        : Manifest.claimOfNothing(remote.name, lease, epoch, writerId, nonce, remote.now());
                ConditionalPut condition = read.isPresent() ? ConditionalPut.ifVersion(read.get().version()) : ConditionalPut.ifAbsent();
                try {
                    base = new SnapshotObjects.Current(claim, remote.putManifest(claim, condition));
                    seen = claim;
                    return true;
                } catch (BackendException e) {
                    if (e.is(BackendException.Kind.PRECONDITION_FAILED)) {
                        continue; // someone wrote meanwhile: judge the new manifest
                    }
                    if (e.ambiguous()) {
                        Optional<SnapshotObjects.Current> back = remote.readManifest();
                        if (back.isPresent() && back.get().manifest().nonce().equals(nonce)) {
                            base = back.get();
                            seen = back.get().manifest();
                            return true;
                        }
                    }
                    throw e.retryable() ? new SnapshotObjects.Resend(e) : e;
                }
            }
        });
    }

    /**
     * Applies the caller's policy to the local file: leaves it as it is, or puts the content the
     * claimed manifest names into it, first refusing data the store does not have unless the
     * caller discards it.
     */
    private void prepareLocalFile(LocalFilePolicy policy) {
        Manifest m = base.manifest();
        if (policy == LocalFilePolicy.UPLOAD_LOCAL_FILE || m.content() == null) {
            return; // the caller's file is what the next flush uploads, or there is nothing stored to download
        }
        if (policy == LocalFilePolicy.REFUSE_LOCAL_CHANGES && local.refuseUnsavedChanges(m)) {
            rememberLocally(m); // it holds the stored content already: only the record beside it may be missing
            return;
        }
        if (remote.fetch(local, m) != SnapshotObjects.Fetch.GONE) {
            return;
        }
        // Content is deleted only two flushes after it is superseded: the manifest moved on.
        Optional<SnapshotObjects.Current> now = remote.readManifest();
        if (now.isPresent() && !now.get().manifest().nonce().equals(m.nonce())) {
            throw refusal(now.get().manifest());
        }
        throw remote.missing(m);
    }

    private SnapshotInfo flushConditionally() {
        Manifest before = base.manifest();
        LocalCopy.Staged staged = local.stage();
        try {
            String nonce = remote.nonce();
            String key = remote.contentKey(epoch, before.generation() + 1, nonce);
            uploadContent(staged, key);
            Manifest.Content content = new Manifest.Content(key, staged.size(), staged.sha256(), writerId, epoch, remote.now());
            try {
                return swapManifest(before.flushedBy(content, lease, epoch, nonce));
            } catch (SnapshotException.Closed ended) {
                remote.deleteQuietly(key); // the manifest write was never sent: no manifest names it
                throw ended;
            }
        } finally {
            LocalFiles.deleteQuietly(staged.path());
        }
    }

    private void uploadContent(LocalCopy.Staged staged, String key) {
        try {
            remote.uploadContent(staged.path(), key);
        } catch (RuntimeException e) {
            remote.deleteQuietly(key); // no manifest names it
            throw e;
        }
    }

    /**
     * Compare-and-swap of the manifest on {@link #base}. A refused or ambiguous write is judged by
     * reading the manifest back, never by guessing: the nonce says whether it is ours, and the
     * generation, which belongs to exactly one flush, says whether ours landed and was then written over.
     */
    private SnapshotInfo swapManifest(Manifest next) {
        Manifest before = base.manifest();
        String key = next.content().key();
        Deadline deadline = remote.deadline(0);
        // The last ambiguous failure of this flush's writes; one round at a time, so a plain holder.
        BackendException[] ambiguous = {null};
        return remote.resending("writing the manifest of generation " + next.generation(), deadline, () -> {
            SnapshotException.Closed ended = boundLeaseEnded();
            if (ended != null && ambiguous[0] == null) {
                // The lease ended before any manifest write of this flush was sent: stop, nothing applied.
                throw ended;
            }
            try {
                ObjectVersion version = remote.putManifest(next, ConditionalPut.ifVersion(base.version()));
                return acknowledged(before, next, new SnapshotObjects.Current(next, version), null);
            } catch (BackendException e) {
                if (!e.is(BackendException.Kind.PRECONDITION_FAILED) && !e.ambiguous()) {
                    // Not sent, or refused outright: nothing was applied.
                    if (e.retryable()) {
                        throw new SnapshotObjects.Resend(e, last -> notApplied(next, ambiguous[0], last));
                    }
                    throw notApplied(next, ambiguous[0], e);
                }
                if (e.ambiguous()) {
                    ambiguous[0] = e;
                }
                SnapshotObjects.Current now = remote.readManifest().orElseThrow(() -> new SnapshotException.Corrupt(
                        "snapshot manifest " + remote.manifestKey + " disappeared; manifests are never deleted"));
                if (now.manifest().nonce().equals(next.nonce())) {
                    return acknowledged(before, next, now, null);
                }
                Landed landed = ambiguous[0] == null ? Landed.NO : landed(next, now.manifest());
                if (landed == Landed.YES) {
                    return acknowledged(before, next, null, refusal(now.manifest()));
                }
                if (landed == Landed.UNKNOWN) {
                    failure = new SnapshotException.Indeterminate("snapshot " + remote.name + ": the manifest write of generation "
                            + next.generation() + " failed ambiguously and the manifest has since moved to generation "
                            + now.manifest().generation() + "; whether this flush landed cannot be told. Open a new writer.", ambiguous[0]);
                    throw failure;
                }
                if (now.version().equals(base.version())) {
                    // Unchanged: the ambiguous write has not landed. Sending it again is safe: it can
                    // only land on this version, and the nonce shows which attempt did.
                    throw new SnapshotObjects.Resend(ambiguous[0] == null ? e : ambiguous[0], last -> {
                        failure = new SnapshotException.Indeterminate("snapshot " + remote.name + ": the manifest write of generation "
                                + next.generation() + " kept failing ambiguously" + (deadline.expired() ? " until its deadline" : "")
                                + "; it may still land. Open a new writer.", last);
                        return failure;
                    });
                }
                // Someone else's write replaced the version ours was conditional on, so ours can never land.
                remote.deleteQuietly(key);
                failure = refusal(now.manifest());
                throw failure;
            }
        });
    }

    /**
     * What a manifest write that ended in {@code last}, a failure that applied nothing, throws:
     * {@code last} itself, after deleting the content no manifest names; but when an earlier
     * attempt failed ambiguously it may still land, naming that content, so the content is kept and
     * the flush is indeterminate.
     */
    private RuntimeException notApplied(Manifest next, BackendException earlierAmbiguous, BackendException last) {
        if (earlierAmbiguous != null) {
            failure = new SnapshotException.Indeterminate("snapshot " + remote.name + ": the manifest write of generation "
                    + next.generation() + " failed ambiguously, then " + last.getMessage() + "; it may still land. Open a new writer.", last);
            return failure;
        }
        remote.deleteQuietly(next.content().key());
        return last;
    }

    /**
     * Whether {@code next}, whose write failed ambiguously, landed before the manifest became
     * {@code now}. Each generation is written by exactly one flush, and the manifest shows the
     * content of the current generation and of the one before it; older ones cannot be told.
     */
    private static Landed landed(Manifest next, Manifest now) {
        long g = next.generation();
        String key = next.content().key();
        if (now.generation() < g) {
            return Landed.NO;
        }
        if (now.generation() == g) {
            return key.equals(now.content().key()) ? Landed.YES : Landed.NO;
        }
        if (now.generation() == g + 1) {
            return key.equals(now.previousContentKey()) ? Landed.YES : Landed.NO;
        }
        return Landed.UNKNOWN;
    }

    /**
     * Records an acknowledged flush. When another write already replaced it ({@code current} is
     * null), the flush still counts, but the next one would fail: {@code thereafter} is kept for it.
     */
    private SnapshotInfo acknowledged(Manifest before, Manifest written, SnapshotObjects.Current current, SnapshotException thereafter) {
        if (thereafter == null) {
            base = current;
        } else {
            failure = thereafter;
        }
        seen = written;
        rememberLocally(written);
        // Keep the content just replaced for readers that already read the old manifest; the one
        // before it has been superseded for a whole flush.
        String superseded = before.previousContentKey();
        if (superseded != null && !superseded.equals(written.content().key()) && !superseded.equals(written.previousContentKey())) {
            remote.deleteQuietly(superseded);
        }
        return written.info().orElseThrow();
    }

    private void rememberLocally(Manifest written) {
        try {
            local.remember(written);
        } catch (RuntimeException e) {
            // The flush is durable; without the sidecar the next open merely downloads again.
            LOG.warn("snapshot {}: flushed generation {} but could not record it beside {}: {}", remote.name,
                    written.generation(), local.file(), e.getMessage());
        }
    }

    private SnapshotException refusal(Manifest now) {
        if (now.epoch() > epoch) {
            return new SnapshotException.Fenced("snapshot " + remote.name + " was claimed at epoch " + now.epoch() + " by writer "
                    + now.writer() + "; this writer (" + writerId + ") has epoch " + epoch + " and will not write it again");
        }
        return new SnapshotException.Conflict("snapshot " + remote.name + " was written by " + now.writer() + " (epoch " + now.epoch()
                + ", generation " + now.generation() + ") after this writer (" + writerId + ") last saw generation "
                + (seen == null ? 0 : seen.generation()) + "; this flush was not applied. Open a new writer to continue from it.");
    }

    // ---- unfenced writers -----------------------------------------------------------------------

    private SnapshotInfo flushUnconditionally() {
        Optional<SnapshotObjects.Current> read = remote.readManifest();
        Manifest current = read.map(SnapshotObjects.Current::manifest).orElse(null);
        if (current != null && current.epoch() > 0) {
            failure = ownedByFencedWriters(current);
            throw failure;
        }
        if (current != null && seen != null && !current.nonce().equals(seen.nonce())) {
            LOG.warn("snapshot {}: {} flushed generation {} since writer {} last saw generation {}; the backend cannot compare-and-swap,"
                    + " so this flush replaces it", remote.name, current.writer(), current.generation(), writerId, seen.generation());
        }
        Manifest before = current != null ? current : Manifest.claimOfNothing(remote.name, null, 0, writerId, "none", 0);
        LocalCopy.Staged staged = local.stage();
        try {
            String nonce = remote.nonce();
            String key = remote.contentKey(0, before.generation() + 1, nonce);
            uploadContent(staged, key);
            Manifest next = before.flushedBy(new Manifest.Content(key, staged.size(), staged.sha256(), writerId, 0, remote.now()),
                    null, 0, nonce);
            try {
                remote.uploadManifest(next);
            } catch (BackendException e) {
                if (!e.ambiguous()) {
                    remote.deleteQuietly(key); // no manifest names it
                }
                throw e;
            }
            return acknowledged(before, next, new SnapshotObjects.Current(next, null), null);
        } finally {
            LocalFiles.deleteQuietly(staged.path());
        }
    }

    private SnapshotException.Fenced ownedByFencedWriters(Manifest m) {
        return new SnapshotException.Fenced("snapshot " + remote.name + " is owned by fenced writers (lease " + m.lease() + ", epoch "
                + m.epoch() + "); an unfenced writer would bypass the fence, so it does not write");
    }
}
