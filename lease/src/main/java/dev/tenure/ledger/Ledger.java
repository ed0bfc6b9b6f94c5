package dev.tenure.ledger;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.Keys;
import dev.tenure.backend.Versioned;
import dev.tenure.lease.FencingToken;
import dev.tenure.retry.Retrier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
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
 * acknowledges past a gap). Segments are immutable, so they are cached without invalidation.
 */
public final class Ledger {

    private final AtomicRemoteBackend backend;
    private final String name;
    private final String prefix;
    private final LedgerOptions options;
    private final Cache<Long, Segment> cache;
    /** Bounded retries (policy and deadline) for reads and the checkpoint's compare-and-swap, from any thread. */
    private final Retrier retrier;

    private Ledger(AtomicRemoteBackend backend, String name, LedgerOptions options) {
        this.backend = backend;
        this.name = name;
        this.prefix = LedgerKeys.prefix(name);
        this.options = options;
        this.cache = Caffeine.newBuilder().maximumSize(options.cachedSegments()).build();
        RandomGenerator anyThread = () -> ThreadLocalRandom.current().nextLong();
        this.retrier = new Retrier("ledger " + name, options.retry(), options.retryDeadline(), System::nanoTime, anyThread);
    }

    /** Opens (or starts) the ledger {@code name}. Nothing is written until a writer appends. */
    public static Ledger open(AtomicRemoteBackend backend, String name, LedgerOptions options) {
        Objects.requireNonNull(backend, "backend");
        if (name == null || name.contains("/") || !Keys.isValid(name)) {
            throw new IllegalArgumentException("invalid ledger name '" + name + "': one key segment without '/'");
        }
        return new Ledger(backend, name, Objects.requireNonNull(options, "options"));
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

    /** Committed entries from {@code from} on, in order, applying the epoch rule. */
    public Iterator<LedgerEntry> read(Position from) {
        return new Reader(from);
    }

    /** The same as a stream. */
    public Stream<LedgerEntry> stream(Position from) {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(read(from), Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /** The sequence number of the last segment written, or 0 for an empty ledger; found without listing the ledger. */
    public long tailSeq() {
        return findTail(lowSeq());
    }

    /**
     * Deletes every segment before {@code position}'s segment (retention). The checkpoint moves
     * first, so readers never look for a deleted segment.
     */
    public void truncateBefore(Position position) {
        long low = lowSeq();
        if (position.segment() <= low) {
            return;
        }
        writeCheckpoint(position.segment());
        for (long seq = low; seq < position.segment(); seq++) {
            backend.delete(segmentKey(seq));
            cache.invalidate(seq);
        }
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
        return LedgerKeys.segment(prefix, seq);
    }

    Optional<Segment> segment(long seq) {
        Segment cached = cache.getIfPresent(seq);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Versioned<byte[]>> found = withRetries(() -> backend.read(segmentKey(seq)));
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Segment s = Segment.decode(segmentKey(seq), found.get().value());
        if (s.seq() != seq) {
            throw new LedgerException.Corrupt("segment " + segmentKey(seq) + " says it is segment " + s.seq());
        }
        cache.put(seq, s);
        return Optional.of(s);
    }

    void remember(Segment s) {
        cache.put(s.seq(), s);
    }

    boolean exists(long seq) {
        return cache.getIfPresent(seq) != null || withRetries(() -> backend.exists(segmentKey(seq)));
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

    long lowSeq() {
        return readLong(LedgerKeys.checkpoint(prefix)).orElse(1L);
    }

    private void writeCheckpoint(long low) {
        raiseTo(LedgerKeys.checkpoint(prefix), low);
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
            Optional<Long> stored = current.map(v -> parseLong(key, v.value()));
            if (stored.isPresent() && stored.get() >= value) {
                return stored.get();
            }
            backend.put(key, Long.toString(value).getBytes(StandardCharsets.UTF_8),
                    current.isEmpty() ? ConditionalPut.ifAbsent() : ConditionalPut.ifVersion(current.get().version()));
            return value;
        }, LedgerException.OutcomeUnknown::new);
    }

    private Optional<Long> readLong(String key) {
        return withRetries(() -> backend.read(key)).map(v -> parseLong(key, v.value()));
    }

    private static long parseLong(String key, byte[] raw) {
        String s = new String(raw, StandardCharsets.UTF_8).trim();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new LedgerException.Corrupt(key + " should hold a number, not '" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'");
        }
    }

    /** Walks segments from a position, applying the epoch rule. */
    private final class Reader implements Iterator<LedgerEntry> {
        private long seq;
        private int index;
        private long maxEpoch;
        private final List<LedgerEntry> buffered = new ArrayList<>();
        private boolean done;

        Reader(Position from) {
            long low = lowSeq();
            this.seq = Math.max(1, low);
            this.index = 0;
            // Segments below the start still decide the highest epoch seen: replay their headers.
            for (long s = seq; s < from.segment(); s++) {
                Optional<Segment> segment = segment(s);
                if (segment.isEmpty()) {
                    done = true;
                    return;
                }
                maxEpoch = Math.max(maxEpoch, segment.get().epoch());
            }
            this.seq = Math.max(seq, from.segment());
            this.index = from.segment() >= seq ? from.index() : 0;
        }

        @Override
        public boolean hasNext() {
            while (buffered.isEmpty() && !done) {
                Optional<Segment> next = segment(seq);
                if (next.isEmpty()) {
                    done = true;
                    break;
                }
                Segment s = next.get();
                if (s.epoch() >= maxEpoch) {
                    maxEpoch = s.epoch();
                    for (int i = index; i < s.entries().size(); i++) {
                        buffered.add(new LedgerEntry(new Position(seq, i), s.epoch(), s.writer(), s.entries().get(i).clone()));
                    }
                }
                seq++;
                index = 0;
            }
            return !buffered.isEmpty();
        }

        @Override
        public LedgerEntry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return buffered.remove(0);
        }
    }
}
