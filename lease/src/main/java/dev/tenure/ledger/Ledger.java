package dev.tenure.ledger;

import dev.tenure.ledger.protocol.Segment;
import dev.tenure.ledger.protocol.Checkpoint;
import dev.tenure.ledger.protocol.LedgerKeys;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Keys;
import dev.tenure.backend.Versioned;
import dev.tenure.lease.FencingToken;
import dev.tenure.lease.Lease;
import dev.tenure.retry.Retrier;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * An append-only log under {@code ledgers/<name>/}: segment objects {@code seg/<seq>} written with
 * {@code IfAbsent}, plus a {@code checkpoint} that records where retention cut the log.
 *
 * <p>Readers apply the epoch rule: a segment counts only if its epoch is at least the highest
 * epoch among the segments accepted before it, so anything a fenced-off writer wrote after the
 * fence is skipped as never acknowledged. A missing segment ends the readable log (a writer never
 * acknowledges past a gap), unless retention deleted it: a reader behind the checkpoint gets
 * {@link LedgerException.Truncated}. Segments are immutable, so they are cached without invalidation.
 *
 * <p>The checkpoint is the rule writers, readers and truncations key on: it moves before any
 * segment below it is deleted, it carries the epoch rule across the cut, and a segment that lands
 * below it was seen by no reader and no truncation.
 */
public final class Ledger {

    private final AtomicRemoteBackend backend;
    private final String name;
    private final String prefix;
    private final LedgerOptions options;
    private final String checkpointKey;
    /** Null when {@link LedgerOptions#cachedSegments()} is 0. */
    private final Cache<Long, Segment> cache;
    /** Recent segment keys by sequence (a power of two slots): see {@link #segmentKey}. */
    private final SegmentKey[] keys = new SegmentKey[64];
    /** Bounded retries (policy and deadline) for reads and the checkpoint's compare-and-swap, from any thread. */
    private final Retrier retrier;
    /** Retention fixes switched off, to show that the simulator's checkers catch each bug; empty outside tests. */
    private final Set<RetentionFix> disabledFixes;

    private Ledger(AtomicRemoteBackend backend, String name, LedgerOptions options, Set<RetentionFix> disabledFixes) {
        // Always an EnumSet: fixed() runs for every segment a reader looks at, and a bit test is cheapest.
        this.disabledFixes = disabledFixes.isEmpty() ? EnumSet.noneOf(RetentionFix.class) : EnumSet.copyOf(disabledFixes);
        this.backend = backend;
        this.name = name;
        this.prefix = LedgerKeys.prefix(name);
        this.checkpointKey = LedgerKeys.checkpoint(prefix); // read at every poll: built once
        this.options = options;
        // Maintenance (eviction) runs on the calling thread: no hand-off to the common pool for every
        // segment cached, and a simulated run stays on its one thread, deterministic.
        // No cache at all for a size of 0: Caffeine would still admit and evict every segment read.
        this.cache = options.cachedSegments() == 0 ? null
                : Caffeine.newBuilder().maximumSize(options.cachedSegments()).executor(Runnable::run).build();
        RandomGenerator anyThread = () -> ThreadLocalRandom.current().nextLong();
        this.retrier = new Retrier("ledger " + name, options.retry(), options.retryDeadline(), System::nanoTime, anyThread);
    }

    /** Opens (or starts) the ledger {@code name}. Nothing is written until a writer appends. */
    public static Ledger open(AtomicRemoteBackend backend, String name, LedgerOptions options) {
        return open(backend, name, options, Set.of());
    }

    /** As {@link #open}, with some retention fixes off (mutation tests only). */
    static Ledger open(AtomicRemoteBackend backend, String name, LedgerOptions options, Set<RetentionFix> disabledFixes) {
        Objects.requireNonNull(backend, "backend");
        if (name == null || name.contains("/") || !Keys.isValid(name)) {
            throw new IllegalArgumentException("invalid ledger name '" + name + "': one key segment without '/'");
        }
        return new Ledger(backend, name, Objects.requireNonNull(options, "options"), disabledFixes);
    }

    /** The ledger's name. */
    public String name() {
        return name;
    }

    /**
     * The single writer holding {@code token}: writes a fence segment with the token's epoch first,
     * so everything an older writer writes afterwards is ignored by readers and refused to it.
     *
     * @throws LedgerException.Fenced when a writer with a higher epoch already fenced the ledger
     */
    public LedgerWriter writer(FencingToken token, String writerId) {
        return LedgerWriter.fenced(this, token.epoch(), writerId);
    }

    /**
     * As {@link #writer(FencingToken, String)} with the lease's token, bound to the lease: the
     * writer closes itself when the lease ends ({@link LedgerWriter#closeWhenLost}).
     *
     * @throws LedgerException.Closed when the lease has already ended: nothing is written, not even the fence
     */
    public LedgerWriter writer(Lease lease, String writerId) {
        if (!lease.isValid()) {
            throw new LedgerException.Closed("ledger writer " + writerId + " not opened: lease " + lease.fencingToken()
                    + " has ended" + lease.revocation().map(r -> " (" + r + ")").orElse(""), null);
        }
        return writer(lease.fencingToken(), writerId).closeWhenLost(lease);
    }

    /**
     * A fenced writer with no threads of its own, for deterministic simulation: appends wait until
     * {@link LedgerWriter#pump()} writes them on the caller's thread.
     */
    public LedgerWriter manualWriter(FencingToken token, String writerId) {
        return LedgerWriter.manual(this, token.epoch(), writerId);
    }

    /** A writer for multi-writer mode: no fencing; concurrent writers interleave their segments. */
    public LedgerWriter multiWriter(String writerId) {
        return LedgerWriter.unfenced(this, writerId);
    }

    /**
     * Committed entries from {@code from} on, in order, applying the epoch rule.
     *
     * @throws LedgerException.Truncated when {@code from} lies below the checkpoint (retention cut
     *     it), at once or, for a reader that retention overtakes, from {@code hasNext}
     */
    public Iterator<LedgerEntry> read(Position from) {
        return new LedgerReader(this, Objects.requireNonNull(from, "from"));
    }

    /** The same as a stream; a reader overtaken by retention throws {@link LedgerException.Truncated} from the stream. */
    public Stream<LedgerEntry> stream(Position from) {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(read(from), Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /**
     * A follower from {@code from}: {@link LedgerFollower#poll()} returns what is committed since,
     * two requests per poll at the end of the log. Opening replays the epoch rule from the
     * checkpoint: one checkpoint read, one header read per segment between it and {@code from}
     * (fewer when cached), and one more checkpoint read.
     *
     * @throws LedgerException.Truncated when retention already cut {@code from}
     * @throws IllegalArgumentException when a segment below {@code from} is missing (the position
     *     lies beyond the readable log)
     */
    public LedgerFollower follower(Position from) {
        LedgerReader reader = new LedgerReader(this, Objects.requireNonNull(from, "from"));
        if (reader.gapBelowStart() > 0) {
            // A follower only ever stores positions it reached, so nothing below one is missing: this one was not.
            throw new IllegalArgumentException("cannot follow ledger " + name + " from " + from + ": the readable log ends before it"
                    + " (segment " + reader.gapBelowStart() + " is missing); follow from a position a reader or follower returned,"
                    + " or from firstPosition()");
        }
        return new LedgerFollower(reader);
    }

    /**
     * A follower resumed where an earlier one stopped: {@code from} and {@code epoch} as its
     * {@link LedgerFollower#position()} and {@link LedgerFollower#epoch()} returned them together.
     * One checkpoint read. An epoch that did not come from a follower at that very position breaks
     * the epoch rule (too low: a deposed writer's segments are handed out; too high: acknowledged
     * entries are skipped).
     *
     * @throws LedgerException.Truncated when retention already cut {@code from}
     * @throws IllegalArgumentException when {@code epoch} is negative
     */
    public LedgerFollower follower(Position from, long epoch) {
        Objects.requireNonNull(from, "from");
        if (epoch < 0) {
            throw new IllegalArgumentException("a follower's epoch is never negative, not " + epoch);
        }
        return new LedgerFollower(new LedgerReader(this, from, epoch));
    }

    /** The first readable position: {@link Position#START} until retention cuts the log, then where it cut. One read. */
    public Position firstPosition() {
        return checkpoint().first();
    }

    /** The sequence number of the last segment written, or 0 for an empty ledger; found without listing the ledger. */
    public long tailSeq() {
        return findTail(lowSeq());
    }

    /**
     * Retention: cuts the log before {@code position}'s segment and deletes every segment below it.
     * Walks the segments from the current checkpoint to {@code position}'s segment (each must be
     * readable), moves the checkpoint first (with the highest epoch accepted below the cut), then
     * deletes. Safe to run concurrently with writers, readers and other truncations; a truncation
     * that stopped half way leaves its deletes owed in the checkpoint, and the next call (even with
     * the same position) finishes them.
     *
     * @throws IllegalArgumentException when {@code position} lies beyond the readable tail (the
     *     message names it): segments there may be a dead writer's orphans, not the log
     */
    public void truncateBefore(Position position) {
        Truncation t = truncation(position);
        while (t.step()) {
            // One store request per step.
        }
    }

    /**
     * {@link #truncateBefore} one store request at a time, for a simulator that interleaves it
     * with writers and readers in virtual time: call {@link Truncation#step()} until it returns false.
     */
    public Truncation truncation(Position position) {
        return new Truncation(this, Objects.requireNonNull(position, "position"));
    }

    // ---- package: used by the writer -----------------------------------------------------------

    AtomicRemoteBackend backend() {
        return backend;
    }

    LedgerOptions options() {
        return options;
    }

    String epochKey() {
        return LedgerKeys.epoch(prefix);
    }

    String segmentKey(long seq) {
        // A reader at the tail asks for the same missing segment again and again: the same String
        // object comes back, so its hash is computed once and the store's map compares it by identity.
        int slot = (int) (seq & (keys.length - 1));
        SegmentKey k = keys[slot];
        if (k == null || k.seq() != seq) {
            k = new SegmentKey(seq, LedgerKeys.segment(prefix, seq));
            keys[slot] = k; // racy on purpose: a record's fields are final, so any thread sees a whole one or none
        }
        return k.key();
    }

    private record SegmentKey(long seq, String key) {
    }

    Optional<Segment> segment(long seq) {
        Segment cached = cachedOrNull(seq);
        if (cached != null) {
            return Optional.of(cached);
        }
        String key = segmentKey(seq); // built once: the key is most of a cache miss's own work
        Optional<Versioned<byte[]>> found = withRetries(() -> backend.read(key));
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Segment s = Segment.decode(key, found.get().value());
        if (s.seq() != seq) {
            throw new LedgerException.Corrupt("segment " + key + " says it is segment " + s.seq());
        }
        remember(s);
        return Optional.of(s);
    }

    /** The segment if the cache holds it: no request. */
    Optional<Segment> cached(long seq) {
        return Optional.ofNullable(cachedOrNull(seq));
    }

    private Segment cachedOrNull(long seq) {
        return cache == null ? null : cache.getIfPresent(seq);
    }

    void remember(Segment s) {
        if (cache != null) {
            cache.put(s.seq(), s);
        }
    }

    boolean exists(long seq) {
        return cachedOrNull(seq) != null || withRetries(() -> backend.exists(segmentKey(seq)));
    }

    /** Reads are idempotent: transient failures are retried with the ledger's backoff. */
    private <T> T withRetries(Supplier<T> read) {
        return retrier.read(read);
    }

    /**
     * The last sequence present at or after {@code from - 1}: gallops up from {@code from} (1, 2,
     * 4, ... segments ahead), then bisects, so finding the tail costs O(log n) requests.
     */
    long findTail(long from) {
        long tail = gallop(from);
        if (fixed(RetentionFix.TAIL_RULE)) {
            // A truncation may have cut (and deleted) above what we looked at: the next sequence
            // after a tail found below the checkpoint would be invisible to readers. Look again from it.
            Checkpoint cp = checkpoint();
            if (cp.low() > tail + 1) {
                return findTail(cp.low());
            }
        }
        return tail;
    }

    private long gallop(long from) {
        long known = from - 1;
        if (!exists(from)) {
            return known;
        }
        known = from;
        long step = 1;
        while (exists(known + step)) {
            known += step;
            step *= 2;
        }
        long absent = known + step;
        while (absent - known > 1) {
            long mid = known + (absent - known) / 2;
            if (exists(mid)) {
                known = mid;
            } else {
                absent = mid;
            }
        }
        return known;
    }

    /** The first live sequence: one read of the checkpoint. */
    long lowSeq() {
        return checkpoint().low();
    }

    /**
     * The checkpoint as stored now: one uncached read. A writer calls it after a segment of its
     * own lands (its fence first of all) and before counting it: a segment below {@code low()}
     * landed after retention cut there, so no reader and no truncation saw it.
     */
    Checkpoint checkpoint() {
        return versionedCheckpoint().map(Versioned::value).orElse(Checkpoint.NONE);
    }

    /**
     * True when {@code seq} lies below the checkpoint: one uncached read. The writer's check after
     * its fence (or any of its segments) lands: true means retention cut above it, nobody will
     * read it, and the writer must fence again from {@code findTail(lowSeq()) + 1}.
     */
    boolean isCut(long seq) {
        return checkpoint().covers(seq);
    }

    String checkpointKey() {
        return checkpointKey;
    }

    Optional<Versioned<Checkpoint>> versionedCheckpoint() {
        String key = checkpointKey();
        return withRetries(() -> backend.read(key)).map(v -> new Versioned<>(decodeCheckpoint(key, v.value()), v.version()));
    }

    /** The last checkpoint decoded, with its bytes: readers read the same record again and again between truncations. */
    private record Decoded(byte[] raw, Checkpoint checkpoint) {
    }

    private volatile Decoded lastCheckpoint;

    /** Decoding is a pure function of the bytes: the same bytes as last time give the same checkpoint, without JSON parsing. */
    private Checkpoint decodeCheckpoint(String key, byte[] raw) {
        Decoded last = lastCheckpoint;
        if (last != null && java.util.Arrays.equals(last.raw(), raw)) {
            return last.checkpoint();
        }
        Checkpoint decoded = Checkpoint.decode(key, raw);
        lastCheckpoint = new Decoded(raw.clone(), decoded);
        return decoded;
    }

    void forget(long seq) {
        if (cache != null) {
            cache.invalidate(seq);
        }
    }

    /** Deletes are idempotent: transient failures are retried, ambiguous ones too, within the retry budget. */
    void delete(String key) {
        retrier.resolve(() -> {
            backend.delete(key);
            return null;
        }, (message, lastFailure) -> lastFailure);
    }

    boolean fixed(RetentionFix fix) {
        return !disabledFixes.contains(fix);
    }

    /**
     * Raises the number stored under {@code key} to {@code value} with compare-and-swap, never
     * lowering it, and returns what is stored afterwards (higher than {@code value} when someone
     * else raised it further).
     */
    long raiseTo(String key, long value) {
        // One round reads, then writes conditionally; a lost answer or someone else's move is settled by
        // the next round's read. Bounded by the retry policy and deadline; a last answer that was lost
        // ends in OutcomeUnknown (the value may or may not have been raised).
        return retrier.resolve(() -> {
            Optional<Versioned<byte[]>> current = backend.read(key);
            Optional<Long> stored = current.map(v -> LedgerKeys.parseNumber(key, v.value()));
            if (stored.isPresent() && stored.get() >= value) {
                return stored.get();
            }
            backend.put(key, Long.toString(value).getBytes(StandardCharsets.UTF_8),
                    current.isEmpty() ? ConditionalPut.ifAbsent() : ConditionalPut.ifVersion(current.get().version()));
            return value;
        }, LedgerException.OutcomeUnknown::new);
    }
}
