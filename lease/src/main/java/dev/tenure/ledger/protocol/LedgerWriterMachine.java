package dev.tenure.ledger.protocol;

import dev.tenure.ledger.Ledger;
import dev.tenure.ledger.LedgerException;
import dev.tenure.ledger.LedgerOptions;
import dev.tenure.ledger.LedgerWriter;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.retry.RetryBudget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.random.RandomGenerator;

/**
 * The ledger writer's protocol as a pure state machine: it reads no clock and does no I/O. Each
 * method takes the current monotonic time, consumes one event (a batch of appends, a store's
 * answer, a timer) and returns the commands its driver must carry out (write or read an object,
 * arm a timer, acknowledge or fail a batch). The threaded {@link LedgerWriter} and the simulator
 * drive this same machine, in the style of etcd raft's {@code RawNode}.
 *
 * <p>Public so that the simulator can drive it; applications use {@link Ledger#writer}.
 *
 * <p>Rules kept here (see {@code docs/ledger.md}):
 * <ul>
 *   <li>Opening raises the {@code epoch} record, fills gaps just below the tail and writes a fence
 *       segment; then it reads the {@code epoch} record again (a newer writer raised it: fenced,
 *       nothing acknowledged) and the {@code checkpoint} (retention passed the fence: fence again
 *       above it).
 *   <li>A batch is acknowledged only when every sequence between the last acknowledged one and
 *       its own exists with an epoch no higher than the writer's; a higher epoch anywhere means
 *       fenced, never a jump past it.
 *   <li>Up to {@code window} batches not yet acknowledged are in flight; for the first
 *       {@link LedgerOptions#MAX_WINDOW} sequences after its fence (where a deposed writer's late
 *       writes can still land) a fenced writer keeps one, so a batch that must move never lands
 *       behind a later one.
 *   <li>When it stops (fenced, or the store failed past the retry budget), each batch in flight
 *       is resolved: written below the fence and readable, acknowledged; definitely not readable,
 *       failed; not knowable within the budget, {@link LedgerException.OutcomeUnknown}.
 * </ul>
 */
public final class LedgerWriterMachine {

    /** What the driver must do. */
    public sealed interface Command permits Put, Read, SetTimer, Acknowledge, Fail, Opened, Stopped {
    }

    /** Write {@code bytes} under {@code key} with {@code condition}; answer with {@link #onPut}. */
    public record Put(long requestId, String key, byte[] bytes, ConditionalPut condition) implements Command {
    }

    /** Read {@code key} (content and version from one response); answer with {@link #onRead}. */
    public record Read(long requestId, String key) implements Command {
    }

    /** Call {@link #onTimer} with {@code token} at {@code atNanos} (monotonic). */
    public record SetTimer(long token, long atNanos) implements Command {
    }

    /** Batch {@code batch}'s entries are durable and readable at {@code segment}, indices 0 to {@code entries - 1}. */
    public record Acknowledge(long batch, long segment, int entries) implements Command {
    }

    /** Batch {@code batch} failed with {@code error} (definitely not in the log, unless {@link LedgerException.OutcomeUnknown}). */
    public record Fail(long batch, LedgerException error) implements Command {
    }

    /** The writer is open: its fence is at {@code fenceSegment} (the tail it found, in multi-writer mode). */
    public record Opened(long fenceSegment) implements Command {
    }

    /** The writer stopped for good (every batch it was given has been acknowledged or failed). */
    public record Stopped(RuntimeException error) implements Command {
    }

    /** Deliberate bugs, each switching one fix off, for the simulator's mutation checks. Never set in production. */
    public enum Switch {
        /** Item 1 off: opening ignores epochs it reads and does not read the epoch record again after its fence. */
        OPEN_IGNORES_NEWER_EPOCHS,
        /** Item 2 off: jumps and the check before an acknowledgement look only at whether segments exist. */
        CHECKS_EXISTENCE_ONLY,
        /** Item 5 off: when fenced, every batch in flight fails with Fenced, even one that landed below the fence. */
        FAIL_ALL_WHEN_FENCED,
        /** Item 6 off: batch ids without the per-instance nonce, so they repeat across incarnations. */
        BATCH_IDS_WITHOUT_NONCE,
        /** Item 14 off: full window right after the fence, and a batch may move behind later ones. */
        PIPELINE_FROM_THE_FENCE,
        /** Item 3 (writer side) off: the checkpoint is not read again after the fence lands. */
        FENCE_BELOW_CHECKPOINT,
        /**
         * Item 5 (writes in flight) off: when the writer stops, a batch whose write is still unanswered
         * is failed as not written, and a batch moving to a free sequence is written there anyway.
         */
        DEFINITE_WHILE_WRITING,
        /**
         * Retention (slot reuse) off: acknowledgements and definite failures are given without a
         * checkpoint read made after the reads they rest on, so a write that landed in a slot
         * retention had emptied is acknowledged below the checkpoint.
         */
        DECIDE_WITHOUT_CHECKPOINT
    }

    /** How far below the tail a new writer looks for gaps: the largest window a writer may use. */
    public static final int GAP_SCAN = LedgerOptions.MAX_WINDOW;

    private enum Phase { NEW, OPENING, OPEN, STOPPED }

    private enum State { QUEUED, PUTTING, RESOLVING, WAITING, WRITTEN }

    private record Header(long epoch, String batchId, String writer) {
    }

    /**
     * An acknowledgement or a definite failure of a batch whose writes landed (or may have) at
     * {@code seq} at the lowest, decided at event {@code event} from reads of sequence
     * {@code reliesOn} and above, given out once a checkpoint read sent after that event shows
     * neither was cut.
     */
    private record Held(Command decision, long seq, long reliesOn, long event) {
    }

    private static final class Batch {
        final long no;
        final String id;
        final List<byte[]> entries;
        long seq;
        State state = State.QUEUED;
        /** An ambiguous write of this batch may still land at {@link #seq}. */
        boolean mayLand;
        /** A write of this batch landed, or may have (an ambiguous answer): a reader may have seen it. */
        boolean mayHaveLanded;
        /**
         * The lowest sequence where a write of this batch landed or may have: a batch that moved on
         * may have been read there first, so its outcome also rests on retention not having cut it.
         */
        long lowestLanding = Long.MAX_VALUE;
        /** A checkpoint read after reading the slot showed it live: what holds it is its first content. */
        boolean slotConfirmed;
        RetryBudget budget;

        public Batch(long no, String id, List<byte[]> entries) {
            this.no = no;
            this.id = id;
            this.entries = entries;
        }
    }

    private interface ReadAnswer {
        void accept(Optional<Versioned<byte[]>> found, BackendException failure);
    }

    private interface PutAnswer {
        void accept(BackendException failure);
    }

    private final String prefix;
    private final String ledgerName;
    private final long epoch;
    private final String writerId;
    private final boolean fenced;
    private final LedgerOptions options;
    private final RandomGenerator random;
    private final String nonce;
    private final Set<Switch> switches;

    private Phase phase = Phase.NEW;
    private long now;
    private List<Command> out = new ArrayList<>();
    private long requests;
    private long timerTokens;
    private final Map<Long, ReadAnswer> reads = new HashMap<>();
    private final Map<Long, PutAnswer> puts = new HashMap<>();
    private final Map<Long, Runnable> timers = new HashMap<>();
    /** Headers of segments known to exist; segments are immutable, so this never goes stale (retention only deletes below us). */
    private final TreeMap<Long, Header> known = new TreeMap<>();

    private RetryBudget openBudget;
    private long openDeadline;
    private long batchCounter;
    private final ArrayDeque<Batch> queued = new ArrayDeque<>();
    /** Batches given a sequence and not yet acknowledged or failed, by sequence: append order. */
    private final TreeMap<Long, Batch> sent = new TreeMap<>();
    private long nextSeq;
    /** The last acknowledged sequence (the fence, at first): every sequence up to here exists. */
    private long frontier;
    /** Sequences in (frontier, checkedUpTo] exist with an epoch no higher than ours. */
    private long checkedUpTo;
    private boolean verifying;
    /** Up to here, a deposed writer's late writes may still land: one batch in flight at a time. */
    private long dangerEnd;
    private LedgerException stopReason;
    /** The lowest sequence known to hold a higher epoch: batches above it are skipped by readers. */
    private long fenceAt = Long.MAX_VALUE;
    private LedgerException fencedError;
    private boolean finished;
    /** Events handled so far (each call of an event method is one). */
    private long events;
    /** Decisions waiting for a checkpoint read, in the order they were made. */
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    /** Checkpoint reads in flight to confirm held decisions, by token (at most two: a read and its hedge). */
    private final Set<Long> confirmations = new java.util.HashSet<>();
    private long confirmTokens;
    /** Why confirming gave up, once it has (the writer stopped then): later decisions are unknown at once, not after another deadline. */
    private RuntimeException unconfirmableBecause;

    private LedgerWriterMachine(String ledgerName, long epoch, String writerId, boolean fenced, LedgerOptions options,
            RandomGenerator random, Set<Switch> switches) {
        this.ledgerName = Objects.requireNonNull(ledgerName, "ledgerName");
        this.prefix = LedgerKeys.prefix(ledgerName);
        this.epoch = epoch;
        this.writerId = Objects.requireNonNull(writerId, "writerId");
        this.fenced = fenced;
        this.options = Objects.requireNonNull(options, "options");
        this.random = Objects.requireNonNull(random, "random");
        this.switches = switches.isEmpty() ? EnumSet.noneOf(Switch.class) : EnumSet.copyOf(switches);
        // Item 6: ids must differ across incarnations of the same writer id and epoch, or a read-back
        // could take another incarnation's segment for this one's.
        this.nonce = Long.toHexString(random.nextLong());
        if (fenced && epoch < 1) {
            throw new IllegalArgumentException("a fenced writer needs an epoch of 1 or more, not " + epoch);
        }
    }

    /** The single writer holding epoch {@code epoch} of ledger {@code ledgerName}; {@code random} supplies the nonce and jitter. */
    public static LedgerWriterMachine fenced(String ledgerName, long epoch, String writerId, LedgerOptions options, RandomGenerator random) {
        return new LedgerWriterMachine(ledgerName, epoch, writerId, true, options, random, Set.of());
    }

    /** A multi-writer-mode writer (no fencing, epoch 0, one batch in flight). */
    public static LedgerWriterMachine unfenced(String ledgerName, String writerId, LedgerOptions options, RandomGenerator random) {
        return new LedgerWriterMachine(ledgerName, 0, writerId, false, options, random, Set.of());
    }

    /** A fenced machine with fixes switched off (mutation checks only). */
    public static LedgerWriterMachine mutated(String ledgerName, long epoch, String writerId, LedgerOptions options, RandomGenerator random,
            Set<Switch> switches) {
        return new LedgerWriterMachine(ledgerName, epoch, writerId, true, options, random, switches);
    }

    /** The epoch this writer writes with (0 in multi-writer mode). */
    public long epoch() {
        return epoch;
    }

    /** The writer's id. */
    public String writerId() {
        return writerId;
    }

    /** True once the writer stopped and every batch it was given has been acknowledged or failed. */
    public boolean finished() {
        return finished;
    }

    /** True when a new batch would be written at once (or failed at once): the driver may form one. */
    public boolean hasRoom() {
        if (phase == Phase.STOPPED || stopReason != null) {
            return true;
        }
        return phase == Phase.OPEN && queued.isEmpty() && sent.size() < window();
    }

    /** Why the writer stopped (or is stopping: batches in flight may still be resolving); empty while it runs. */
    public Optional<LedgerException> stopReason() {
        return Optional.ofNullable(stopReason);
    }

    /** Batches given to the machine and not yet acknowledged or failed. */
    public int outstanding() {
        return queued.size() + sent.size() + held.size();
    }

    // ---- events --------------------------------------------------------------------------------

    /** Starts opening: fencing, or (multi-writer mode) finding the tail. Answers with {@link Opened} or {@link Stopped}. */
    public List<Command> open(long nowNanos) {
        begin(nowNanos);
        if (phase != Phase.NEW) {
            throw new IllegalStateException("open() once per machine");
        }
        phase = Phase.OPENING;
        openBudget = budget();
        openDeadline = nowNanos + options.retryDeadline().toNanos();
        if (fenced) {
            raiseEpoch();
        } else {
            readCheckpoint(low -> findTail(low, tail -> fillGaps(Math.max(low, tail - GAP_SCAN + 1), tail, () -> opened(tail))));
        }
        return end();
    }

    /** A batch of appends, numbered {@code batch} by the driver; answered by {@link Acknowledge} or {@link Fail}. */
    public List<Command> onBatch(long nowNanos, long batch, List<byte[]> entries) {
        begin(nowNanos);
        long n = ++batchCounter;
        String id = switches.contains(Switch.BATCH_IDS_WITHOUT_NONCE) ? writerId + "-" + epoch + "-" + n
                : writerId + "-" + epoch + "-" + nonce + "-" + n;
        Batch b = new Batch(batch, id, List.copyOf(entries));
        if (stopReason != null) {
            out.add(new Fail(batch, stopReason));
        } else {
            queued.add(b);
            pump();
        }
        return end();
    }

    /** The answer to a {@link Read}: {@code found} (empty when absent), or {@code failure}. */
    public List<Command> onRead(long requestId, long nowNanos, Optional<Versioned<byte[]>> found, BackendException failure) {
        begin(nowNanos);
        ReadAnswer a = reads.remove(requestId);
        if (a != null) {
            a.accept(found == null ? Optional.empty() : found, failure);
        }
        return end();
    }

    /** The answer to a {@link Put}: {@code failure} is null when it was written. */
    public List<Command> onPut(long requestId, long nowNanos, ObjectVersion written, BackendException failure) {
        begin(nowNanos);
        PutAnswer a = puts.remove(requestId);
        if (a != null) {
            a.accept(failure);
        }
        return end();
    }

    /** A {@link SetTimer} came due. */
    public List<Command> onTimer(long token, long nowNanos) {
        begin(nowNanos);
        Runnable r = timers.remove(token);
        if (r != null) {
            r.run();
        }
        return end();
    }

    /**
     * The driver stops the writer (closing with appends that could not be written, say): nothing
     * new is written; batches in flight are resolved as when fenced.
     */
    public List<Command> stop(long nowNanos, LedgerException reason) {
        begin(nowNanos);
        stop(reason, Long.MAX_VALUE);
        return end();
    }

    // ---- opening -------------------------------------------------------------------------------

    private void raiseEpoch() {
        readKey(LedgerKeys.epoch(prefix), openBudget, this::openFailed, found -> {
            long stored = found.map(v -> LedgerKeys.parseNumber(LedgerKeys.epoch(prefix), v.value())).orElse(0L);
            if (stored > epoch) {
                stop(new LedgerException.Fenced("ledger " + ledgerName + " belongs to epoch " + stored + "; this writer has epoch " + epoch),
                        Long.MAX_VALUE);
                return;
            }
            if (stored == epoch) {
                afterRaise();
                return;
            }
            ConditionalPut condition = found.isEmpty() ? ConditionalPut.ifAbsent() : ConditionalPut.ifVersion(found.get().version());
            putKey(LedgerKeys.epoch(prefix), Long.toString(epoch).getBytes(StandardCharsets.UTF_8), condition, failure -> {
                if (failure == null) {
                    afterRaise();
                } else {
                    // Moved by someone else, or the answer was lost: read again (the read tells).
                    retry(openBudget, failure, true, this::raiseEpoch, this::openFailed);
                }
            });
        });
    }

    private void afterRaise() {
        readCheckpoint(low -> findTail(low, tail -> fillGaps(Math.max(low, tail - GAP_SCAN + 1), tail, () -> writeFence(tail + 1))));
    }

    private void writeFence(long seq) {
        String id = writerId + "-fence-" + epoch + "-" + nonce;
        Segment fence = new Segment(seq, epoch, writerId, id, true, List.of());
        putKey(LedgerKeys.segment(prefix, seq), fence.encode(), ConditionalPut.ifAbsent(), failure -> {
            if (failure == null) {
                known.put(seq, new Header(epoch, id, writerId));
                afterFence(seq);
            } else if (!retryable(failure) && !collision(failure)) {
                openFailed(failure);
            } else if (collision(failure) || failure.ambiguous()) {
                readSegment(seq, openBudget, this::openFailed, there -> {
                    if (there.isEmpty()) {
                        retry(openBudget, failure, true, () -> writeFence(seq), this::openFailed);
                    } else if (there.get().batchId().equals(id)) {
                        afterFence(seq);
                    } else if (!newer(there.get(), seq)) {
                        // Taken by an older writer's late segment: fence above the new tail.
                        findTail(seq, tail -> fillGaps(Math.max(seq, tail - GAP_SCAN + 1), tail, () -> writeFence(tail + 1)));
                    }
                });
            } else {
                retry(openBudget, failure, true, () -> writeFence(seq), this::openFailed);
            }
        });
    }

    private void afterFence(long fenceSeq) {
        Runnable checkRetention = switches.contains(Switch.FENCE_BELOW_CHECKPOINT) ? () -> opened(fenceSeq) : () -> readCheckpoint(low -> {
            if (low > fenceSeq) {
                // Item 3: retention cut the log above our fence while we opened; readers start at the
                // checkpoint and would never see appends written just after this fence. Fence again above it.
                findTail(low, tail -> fillGaps(Math.max(low, tail - GAP_SCAN + 1), tail, () -> writeFence(Math.max(low, tail + 1))));
            } else {
                opened(fenceSeq);
            }
        });
        if (switches.contains(Switch.OPEN_IGNORES_NEWER_EPOCHS)) {
            checkRetention.run();
            return;
        }
        // Item 1: the epoch record is a barrier. Every segment with a higher epoch is written after the
        // record was raised above ours, so if it still holds our epoch now, no newer fence lies below ours.
        readKey(LedgerKeys.epoch(prefix), openBudget, this::openFailed, found -> {
            long stored = found.map(v -> LedgerKeys.parseNumber(LedgerKeys.epoch(prefix), v.value())).orElse(0L);
            if (stored > epoch) {
                stop(new LedgerException.Fenced("ledger " + ledgerName + " was raised to epoch " + stored + " while this writer (epoch "
                        + epoch + ") was fencing it"), Long.MAX_VALUE);
            } else {
                checkRetention.run();
            }
        });
    }

    private void opened(long fenceSeq) {
        if (stopReason != null) {
            return;
        }
        phase = Phase.OPEN;
        frontier = fenceSeq;
        checkedUpTo = fenceSeq;
        nextSeq = fenceSeq + 1;
        dangerEnd = fenceSeq + LedgerOptions.MAX_WINDOW;
        out.add(new Opened(fenceSeq));
        pump();
    }

    private void openFailed(RuntimeException failure) {
        LedgerException reason = failure instanceof LedgerException le ? le
                : new LedgerException.Closed("ledger writer " + writerId + " could not open ledger " + ledgerName + ": " + failure.getMessage(), failure);
        stop(reason, Long.MAX_VALUE);
    }

    private void readCheckpoint(LongConsumer then) {
        readKey(LedgerKeys.checkpoint(prefix), openBudget, this::openFailed,
                found -> then.accept(found.map(v -> Checkpoint.decode(LedgerKeys.checkpoint(prefix), v.value()).low()).orElse(1L)));
    }

    /** The last sequence present at or after {@code from - 1}: gallops, then bisects; every header read is checked for a newer epoch. */
    private void findTail(long from, LongConsumer then) {
        probe(from, present -> {
            if (!present) {
                then.accept(from - 1);
            } else {
                gallop(from, 1, then);
            }
        });
    }

    private void gallop(long known, long step, LongConsumer then) {
        probe(known + step, present -> {
            if (present) {
                gallop(known + step, step * 2, then);
            } else {
                bisect(known, known + step, then);
            }
        });
    }

    private void bisect(long known, long absent, LongConsumer then) {
        if (absent - known <= 1) {
            then.accept(known);
            return;
        }
        long mid = known + (absent - known) / 2;
        probe(mid, present -> {
            if (present) {
                bisect(mid, absent, then);
            } else {
                bisect(known, mid, then);
            }
        });
    }

    private void probe(long seq, Consumer<Boolean> then) {
        readSegment(seq, openBudget, this::openFailed, there -> {
            if (there.isPresent() && newerWhileOpening(there.get(), seq)) {
                return;
            }
            then.accept(there.isPresent());
        });
    }

    /** Writes an empty filler at every missing sequence in {@code [from, to]}, checking the epoch of every one present. */
    private void fillGaps(long from, long to, Runnable then) {
        if (from > to) {
            then.run();
            return;
        }
        // Every sequence is read at once: the scan costs an open one round trip, not GAP_SCAN of them.
        // Each read has its own attempts (a throttled store may refuse a few of 64 parallel reads),
        // all within the open's deadline.
        long[] left = {to - from + 1};
        for (long seq = from; seq <= to; seq++) {
            fillOne(seq, new RetryBudget(options.retry(), openDeadline), () -> {
                if (--left[0] == 0 && stopReason == null) {
                    then.run();
                }
            });
        }
    }

    private void fillOne(long seq, RetryBudget budget, Runnable done) {
        readSegment(seq, budget, this::openFailed, there -> {
            if (there.isPresent()) {
                if (!newerWhileOpening(there.get(), seq)) {
                    done.run();
                }
                return;
            }
            putFiller(seq, budget, this::openFailed, () -> fillOne(seq, budget, done));
        });
    }

    private boolean newerWhileOpening(Header h, long seq) {
        if (switches.contains(Switch.OPEN_IGNORES_NEWER_EPOCHS)) {
            return false;
        }
        return newer(h, seq);
    }

    // ---- writing -------------------------------------------------------------------------------

    private int window() {
        if (!fenced) {
            return 1; // Multi-writer mode: a batch that loses its sequence moves to the tail, so one at a time keeps append order.
        }
        if (nextSeq <= dangerEnd && !switches.contains(Switch.PIPELINE_FROM_THE_FENCE)) {
            return 1; // Item 14: a deposed writer's late write may still take any of these sequences.
        }
        return options.window();
    }

    private void pump() {
        // The window counts batches not yet ACKNOWLEDGED: a writer stuck on one batch cannot run ahead of it without bound.
        while (phase == Phase.OPEN && stopReason == null && !queued.isEmpty() && sent.size() < window()) {
            Batch b = queued.poll();
            b.seq = nextSeq++;
            b.budget = budget();
            sent.put(b.seq, b);
            sendBatch(b);
        }
    }

    private void sendBatch(Batch b) {
        b.state = State.PUTTING;
        Segment segment = new Segment(b.seq, epoch, writerId, b.id, false, b.entries);
        long seq = b.seq;
        putKey(LedgerKeys.segment(prefix, seq), segment.encode(), ConditionalPut.ifAbsent(), failure -> {
            if (sent.get(seq) != b) {
                return; // Already failed (above a fence) or moved on.
            }
            if (failure == null) {
                written(b);
            } else if (collision(failure) || failure.ambiguous()) {
                b.mayLand |= failure.ambiguous();
                b.mayHaveLanded |= failure.ambiguous();
                if (failure.ambiguous()) {
                    b.lowestLanding = Math.min(b.lowestLanding, seq);
                }
                b.state = State.RESOLVING;
                readSegment(seq, b.budget, e -> giveUp(b, e), there -> resolved(b, seq, there));
            } else if (retryable(failure)) {
                b.state = State.WAITING;
                retry(b.budget, failure, false, () -> resendIfStillThere(b, seq), e -> giveUp(b, e));
            } else {
                LedgerException reason = stopped(failure);
                stop(reason, Long.MAX_VALUE);
                if (sent.get(seq) == b) {
                    settle(b);
                }
            }
        });
    }

    /** What is at {@code seq} after a write of {@code b} there failed ambiguously or found the sequence taken. */
    private void resolved(Batch b, long seq, Optional<Header> there) {
        if (sent.get(seq) != b) {
            return;
        }
        if (there.isPresent() && there.get().batchId().equals(b.id)) {
            written(b);
            return;
        }
        if (there.isPresent() && b.mayHaveLanded && !b.slotConfirmed && !switches.contains(Switch.DECIDE_WITHOUT_CHECKPOINT)) {
            // Our ambiguous write may have landed here, been read, and been cut by retention, and what
            // holds the slot now a late write into it: before moving on (and writing the batch a second
            // time elsewhere), a checkpoint read after the slot read says whether the slot is still live.
            String key = LedgerKeys.checkpoint(prefix);
            readKey(key, b.budget, e -> giveUp(b, e), found -> {
                if (sent.get(seq) != b) {
                    return;
                }
                long low = found.map(v -> Checkpoint.decode(key, v.value()).low()).orElse(1L);
                if (low > seq) {
                    fail(b, new LedgerException.OutcomeUnknown("ledger " + ledgerName + ": retention cut the log at segment " + low
                            + " while the batch's ambiguous write to segment " + seq + " was being resolved; it may have landed there"
                            + " and been read before the cut", null));
                    advance();
                } else {
                    b.slotConfirmed = true;
                    resolved(b, seq, there);
                }
            });
            return;
        }
        if (there.isPresent()) {
            b.slotConfirmed = false;
            b.mayLand = false; // Someone else's segment holds the sequence: this batch is not there, and never will be.
            if (newerWhileWriting(there.get())) {
                fail(b, fencedBy(there.get(), seq));
                stop(fencedBy(there.get(), seq), seq);
            } else if (stopReason != null) {
                fail(b, stopReason);
                advance();
            } else if (sent.lastKey() == seq || switches.contains(Switch.PIPELINE_FROM_THE_FENCE)) {
                jump(b, seq + 1);
            } else {
                // Later batches are already on their way: moving this one behind them would break append order.
                LedgerException reason = new LedgerException.Closed("ledger writer " + writerId + " stopped: sequence " + seq + " of ledger "
                        + ledgerName + " was taken by " + there.get().writer() + " (epoch " + there.get().epoch()
                        + ") while later batches were in flight; writing this batch after them would break append order", null);
                fail(b, reason);
                stop(reason, Long.MAX_VALUE);
            }
            return;
        }
        if (stopReason != null) {
            settle(b);
            return;
        }
        // Not there: the write did not land (yet); write it again at the same sequence, where IfAbsent
        // makes a late landing of the first attempt show up as a precondition failure.
        b.state = State.WAITING;
        retry(b.budget, BackendException.transport(LedgerKeys.segment(prefix, seq), b.mayLand, "segment write not found on read-back", null),
                false, () -> resendIfStillThere(b, seq), e -> giveUp(b, e));
    }

    /** After a backoff: writes {@code b} again at {@code seq}, unless it moved meanwhile or the writer stopped (then it settles). */
    private void resendIfStillThere(Batch b, long seq) {
        if (sent.get(seq) != b) {
            return;
        }
        if (stopReason != null) {
            settle(b);
        } else {
            sendBatch(b);
        }
    }

    /** Moves {@code b} to the first free sequence from {@code from} on, checking the epoch of every segment it passes. */
    private void jump(Batch b, long start) {
        long oldSeq = b.seq;
        long from = start;
        // Known segments are passed in a loop, checked like the others; only unknown ones are read.
        for (Header h = known.get(from); h != null && !newerWhileWriting(h); h = known.get(from)) {
            from++;
        }
        long seqToRead = from;
        jumpRead(b, oldSeq, seqToRead);
    }

    private void jumpRead(Batch b, long oldSeq, long from) {
        readSegment(from, b.budget, e -> giveUp(b, e), there -> {
            if (sent.get(oldSeq) != b) {
                return;
            }
            if (there.isPresent() && newerWhileWriting(there.get())) {
                // Item 2: never jump past a newer writer's segment.
                fail(b, fencedBy(there.get(), from));
                stop(fencedBy(there.get(), from), from);
                return;
            }
            if (stopReason != null && !switches.contains(Switch.DEFINITE_WHILE_WRITING)) {
                // Stopped while moving: write nothing new. Every sequence this batch was sent to holds
                // someone else's segment, so none of its writes can land: definitely not in the log.
                fail(b, stopReason);
                advance();
                return;
            }
            if (there.isPresent()) {
                jump(b, from + 1);
                return;
            }
            sent.remove(oldSeq);
            b.seq = from;
            nextSeq = Math.max(nextSeq, from + 1);
            sent.put(from, b);
            sendBatch(b);
        });
    }

    private void written(Batch b) {
        b.state = State.WRITTEN;
        b.mayHaveLanded = true;
        b.lowestLanding = Math.min(b.lowestLanding, b.seq);
        b.mayLand = false;
        known.put(b.seq, new Header(epoch, b.id, writerId));
        advance();
    }

    /** Acknowledges, in sequence order, every written batch whose predecessors all exist with no newer epoch. */
    private void advance() {
        while (!sent.isEmpty()) {
            Batch b = sent.firstEntry().getValue();
            if (b.seq > fenceAt) {
                // Readers skip everything after a newer epoch: this batch is not readable, now or ever.
                fail(b, fencedError);
                continue;
            }
            if (b.state != State.WRITTEN) {
                break;
            }
            if (checkedUpTo < b.seq - 1) {
                Header h = verifying ? null : known.get(checkedUpTo + 1);
                if (h != null) {
                    // Known already (a loop, not a callback: a long known stretch must not grow the stack).
                    if (newerWhileWriting(h)) {
                        stop(fencedBy(h, checkedUpTo + 1), checkedUpTo + 1);
                        return;
                    }
                    checkedUpTo++;
                    continue;
                }
                if (!verifying) {
                    verify(b, checkedUpTo + 1);
                }
                break;
            }
            sent.remove(b.seq);
            frontier = b.seq;
            checkedUpTo = b.seq;
            decide(new Acknowledge(b.no, b.seq, b.entries.size()), Math.min(b.seq, b.lowestLanding), b.seq);
        }
        if (known.size() > 4 * GAP_SCAN) {
            known.headMap(frontier - GAP_SCAN).clear();
        }
        pump();
        maybeFinish();
    }

    /** Checks sequence {@code seq} below written batch {@code b}: it must exist (filled if missing) with no newer epoch. */
    private void verify(Batch b, long seq) {
        verifying = true;
        Consumer<RuntimeException> gaveUp = e -> {
            verifying = false;
            giveUp(b, e);
        };
        readSegment(seq, b.budget, gaveUp, there -> {
            if (there.isPresent()) {
                verifying = false;
                if (newerWhileWriting(there.get())) {
                    stop(fencedBy(there.get(), seq), seq);
                } else {
                    checkedUpTo = Math.max(checkedUpTo, seq);
                }
                advance();
                return;
            }
            // A gap: readers stop at it, so fill it (a filler sequence nobody else may take later).
            putFiller(seq, b.budget, gaveUp, () -> verify(b, seq));
        });
    }

    // ---- stopping ------------------------------------------------------------------------------

    private void stop(LedgerException reason, long higherEpochAt) {
        if (higherEpochAt < fenceAt) {
            fenceAt = higherEpochAt;
            fencedError = reason;
        }
        if (stopReason == null) {
            stopReason = reason;
            for (Batch q : queued) {
                out.add(new Fail(q.no, reason)); // Never sent: definitely not in the log.
            }
            queued.clear();
            if (phase != Phase.OPEN) {
                phase = Phase.STOPPED;
                finished = true;
                out.add(new Stopped(reason));
                return;
            }
            if (reason instanceof LedgerException.Fenced && switches.contains(Switch.FAIL_ALL_WHEN_FENCED)) {
                // The bug as it was: every batch in flight failed at once, without a look at what landed.
                for (Batch s : new ArrayList<>(sent.values())) {
                    sent.remove(s.seq);
                    out.add(new Fail(s.no, reason));
                }
            }
            // Resolving what is in flight is bounded too: past this, whatever is left is unknown.
            timer(now + options.retryDeadline().toNanos(), this::resolutionDeadline);
        }
        advance();
    }

    private void resolutionDeadline() {
        for (Batch b : new ArrayList<>(sent.values())) {
            fail(b, mayBeInLog(b) ? unknown(b, null) : stopReason);
        }
        maybeFinish();
    }

    /** After a stop: finds out whether {@code b} is at its sequence, and makes sure it never lands later if not. */
    private void settle(Batch b) {
        long seq = b.seq;
        b.state = State.RESOLVING;
        readSegment(seq, b.budget, e -> giveUp(b, e), there -> {
            if (sent.get(seq) != b) {
                return;
            }
            if (there.isPresent()) {
                if (there.get().batchId().equals(b.id)) {
                    written(b);
                } else {
                    fail(b, newerWhileWriting(there.get()) ? fencedBy(there.get(), seq) : stopReason);
                    advance();
                }
                return;
            }
            // Take the sequence with a filler: then this batch's write can never land there.
            putFiller(seq, b.budget, e -> giveUp(b, e), () -> settle(b));
        });
    }

    /** The budget for {@code b} ran out: its outcome is unknown if it may have landed; the writer stops either way. */
    private void giveUp(Batch b, RuntimeException last) {
        if (sent.get(b.seq) != b) {
            return;
        }
        LedgerException reason = stopped(last);
        fail(b, mayBeInLog(b) ? unknown(b, last) : reason);
        stop(reason, Long.MAX_VALUE);
        advance();
    }

    /**
     * Whether {@code b} is, or may yet be, in the log: written, an ambiguous write not yet ruled out,
     * or a write still unanswered (it may land long after the writer gave up waiting for it).
     */
    private boolean mayBeInLog(Batch b) {
        return b.mayLand || b.state == State.WRITTEN
                || (b.state == State.PUTTING && !switches.contains(Switch.DEFINITE_WHILE_WRITING));
    }

    private void maybeFinish() {
        if (stopReason != null && sent.isEmpty() && queued.isEmpty() && held.isEmpty() && confirmations.isEmpty() && !finished && phase == Phase.OPEN) {
            finished = true;
            phase = Phase.STOPPED;
            out.add(new Stopped(stopReason));
        }
    }

    private void fail(Batch b, LedgerException e) {
        if (sent.get(b.seq) == b) {
            sent.remove(b.seq);
        }
        boolean asBefore = b.state == State.PUTTING && switches.contains(Switch.DEFINITE_WHILE_WRITING); // the bug: failed at once
        if (asBefore || e instanceof LedgerException.OutcomeUnknown || (!b.mayHaveLanded && b.state != State.PUTTING)) {
            // Unknown claims nothing; a batch none of whose writes landed or may have (none is unanswered
            // either) is not in the log, cut or not.
            out.add(new Fail(b.no, e));
        } else {
            long landing = Math.min(b.seq, b.lowestLanding);
            decide(new Fail(b.no, e), landing, Math.min(landing, fenceAt));
        }
    }

    // ---- confirming against retention ----------------------------------------------------------

    /**
     * Gives out {@code decision} once a checkpoint read sent after this event shows that retention
     * has not cut {@code reliesOn}. Retention deletes a slot only after the checkpoint has risen above
     * it, but a late write can land in the emptied slot afterwards (IfAbsent succeeds there), so a read
     * of a slot below the checkpoint may show what no reader will ever see, or miss what one did. A
     * checkpoint read after the reads a decision rests on tells: while the checkpoint is at or below
     * the slot, nothing was deleted there, so what was read is the slot's first and only content.
     * One read confirms every decision made before it was sent, so it costs one read per round of
     * acknowledgements, not one per batch.
     */
    private void decide(Command decision, long seq, long reliesOn) {
        if (switches.contains(Switch.DECIDE_WITHOUT_CHECKPOINT)) {
            out.add(decision);
            return;
        }
        held.add(new Held(decision, seq, reliesOn, events));
        confirm();
    }

    /** The longest a confirming read may take before a second one is sent beside it. */
    private static final long HEDGE_CAP_NANOS = 500_000_000L;

    /**
     * Sends a checkpoint read for the decisions held, unless one is in flight. A read that hangs
     * would hold every acknowledgement until the retry deadline and then make them all unknown, so a
     * read not answered within an eighth of the retry deadline (at most 500 ms) gets a second one
     * beside it (a hedge); at most two are in flight, and the first answer releases what it covers.
     */
    private void confirm() {
        if (held.isEmpty() || !confirmations.isEmpty()) {
            return; // Decisions made while a read is in flight wait for the next one (or its hedge).
        }
        if (unconfirmableBecause != null) {
            unconfirmed(unconfirmableBecause);
            return;
        }
        long token = ++confirmTokens;
        long asOf = events;
        confirmations.add(token);
        readCheckpointToConfirm(token, asOf);
        long hedgeAfter = Math.min(options.retryDeadline().toNanos() / 8, HEDGE_CAP_NANOS);
        timer(now + hedgeAfter, () -> {
            if (confirmations.contains(token) && confirmations.size() < 2 && !held.isEmpty() && unconfirmableBecause == null) {
                long t = ++confirmTokens;
                confirmations.add(t);
                readCheckpointToConfirm(t, events);
            }
        });
    }

    private void readCheckpointToConfirm(long token, long asOf) {
        String key = LedgerKeys.checkpoint(prefix);
        readKey(key, budget(), e -> {
            confirmations.remove(token);
            if (confirmations.isEmpty()) {
                unconfirmed(e); // Every read gave up: nothing held can be confirmed.
            }
        }, found -> {
            if (!confirmations.remove(token)) {
                return;
            }
            Checkpoint cp;
            try {
                cp = found.map(v -> Checkpoint.decode(key, v.value())).orElse(Checkpoint.NONE);
            } catch (LedgerException.Corrupt corrupt) {
                confirmations.clear();
                unconfirmed(corrupt);
                return;
            }
            boolean newerBelowTheCut = fenced && cp.epoch() > epoch;
            while (!held.isEmpty() && held.peek().event() <= asOf) {
                release(held.poll(), cp, newerBelowTheCut);
            }
            if (newerBelowTheCut) {
                // Readers start above the cut with a newer epoch than ours: nothing we write is readable.
                stop(new LedgerException.Fenced("ledger " + ledgerName + " was fenced at epoch " + cp.epoch() + " below its checkpoint (segment "
                        + cp.low() + "); this writer has epoch " + epoch), cp.low() - 1);
            }
            confirm();
            maybeFinish();
        });
    }

    private void release(Held h, Checkpoint cp, boolean newerBelowTheCut) {
        long batch = h.decision() instanceof Acknowledge a ? a.batch() : ((Fail) h.decision()).batch();
        if (h.seq() < cp.low()) {
            // Its own slot was cut: read before the cut (then it is in the log, as far as anyone saw it),
            // or written into the slot after retention emptied it (then nobody will ever read it).
            out.add(new Fail(batch, new LedgerException.OutcomeUnknown("ledger " + ledgerName + ": retention cut the log at segment "
                    + cp.low() + " before the outcome of the batch at segment " + h.seq() + " was settled; it was either read and cut,"
                    + " or written into a slot retention had emptied, where no reader will see it", failure(h.decision()))));
        } else if (h.decision() instanceof Acknowledge a) {
            // Readers start at the cut with the checkpoint's epoch: a newer one there skips everything of ours above it.
            out.add(newerBelowTheCut ? new Fail(a.batch(), new LedgerException.Fenced("ledger " + ledgerName + " was fenced at epoch "
                    + cp.epoch() + " below its checkpoint; this writer has epoch " + epoch)) : a);
        } else if (h.reliesOn() < cp.low() && !newerBelowTheCut) {
            // Fenced by a segment below the cut that the checkpoint's epoch does not vouch for: it may
            // have landed after retention emptied its slot, and this batch may be readable after all.
            out.add(new Fail(batch, new LedgerException.OutcomeUnknown("ledger " + ledgerName + ": the segment that fenced the batch at "
                    + h.seq() + " lies below the checkpoint (" + cp.low() + ") and may be a late write into an emptied slot",
                    failure(h.decision()))));
        } else {
            out.add(h.decision());
        }
    }

    private static LedgerException failure(Command decision) {
        return decision instanceof Fail f ? f.error() : null;
    }

    /** No checkpoint could be read: the decisions held cannot be confirmed; their outcome is unknown, and the writer stops. */
    private void unconfirmed(RuntimeException e) {
        unconfirmableBecause = e;
        while (!held.isEmpty()) {
            Command d = held.poll().decision();
            long batch = d instanceof Acknowledge a ? a.batch() : ((Fail) d).batch();
            out.add(new Fail(batch, new LedgerException.OutcomeUnknown("ledger " + ledgerName + ": the checkpoint could not be read to confirm"
                    + " the batch's outcome: " + e.getMessage(), e)));
        }
        stop(stopped(e), Long.MAX_VALUE);
        maybeFinish();
    }

    private LedgerException.OutcomeUnknown unknown(Batch b, RuntimeException cause) {
        return new LedgerException.OutcomeUnknown("ledger " + ledgerName + ": whether batch " + b.id + " (segment " + b.seq
                + ") is in the log could not be found out" + (cause == null ? " in time" : ": " + cause.getMessage()), cause);
    }

    private LedgerException stopped(RuntimeException cause) {
        return cause instanceof LedgerException le ? le
                : new LedgerException.Closed("ledger writer " + writerId + " stopped: " + cause.getMessage(), cause);
    }

    private LedgerException.Fenced fencedBy(Header h, long seq) {
        return new LedgerException.Fenced("ledger " + ledgerName + " was fenced at epoch " + h.epoch() + " by " + h.writer()
                + " (segment " + seq + "); this writer has epoch " + epoch);
    }

    // ---- requests ------------------------------------------------------------------------------

    private boolean newer(Header h, long seq) {
        if (fenced && h.epoch() > epoch) {
            stop(fencedBy(h, seq), seq);
            return true;
        }
        return false;
    }

    private boolean newerWhileWriting(Header h) {
        return fenced && h.epoch() > epoch && !switches.contains(Switch.CHECKS_EXISTENCE_ONLY);
    }

    private static boolean collision(BackendException e) {
        // 412/409, and 404 to a conditional write: someone else changed the object; read it, then decide.
        return e.is(BackendException.Kind.PRECONDITION_FAILED) || e.is(BackendException.Kind.NOT_FOUND);
    }

    private static boolean retryable(BackendException e) {
        return e.retryable();
    }

    private void putFiller(long seq, RetryBudget budget, Consumer<RuntimeException> exhausted, Runnable thenRecheck) {
        String id = writerId + "-filler-" + epoch + "-" + nonce + "-" + seq;
        Segment filler = new Segment(seq, epoch, writerId, id, true, List.of());
        putKey(LedgerKeys.segment(prefix, seq), filler.encode(), ConditionalPut.ifAbsent(), failure -> {
            if (failure == null) {
                known.put(seq, new Header(epoch, id, writerId));
                thenRecheck.run();
            } else if (collision(failure) || failure.ambiguous()) {
                thenRecheck.run(); // Filled by someone, maybe us: the caller reads it.
            } else {
                retry(budget, failure, false, thenRecheck, exhausted);
            }
        });
    }

    private void readSegment(long seq, RetryBudget budget, Consumer<RuntimeException> exhausted, Consumer<Optional<Header>> then) {
        Header cached = known.get(seq);
        if (cached != null) {
            then.accept(Optional.of(cached));
            return;
        }
        String key = LedgerKeys.segment(prefix, seq);
        readKey(key, budget, exhausted, found -> {
            if (found.isEmpty()) {
                then.accept(Optional.empty());
                return;
            }
            Segment s;
            try {
                s = Segment.decode(key, found.get().value());
                if (s.seq() != seq) {
                    throw new LedgerException.Corrupt("segment " + key + " says it is segment " + s.seq());
                }
            } catch (LedgerException.Corrupt corrupt) {
                stop(corrupt, Long.MAX_VALUE);
                exhausted.accept(corrupt);
                return;
            }
            Header h = new Header(s.epoch(), s.batchId(), s.writer());
            known.put(seq, h);
            then.accept(Optional.of(h));
        });
    }

    private void readKey(String key, RetryBudget budget, Consumer<RuntimeException> exhausted, Consumer<Optional<Versioned<byte[]>>> then) {
        long id = ++requests;
        reads.put(id, (found, failure) -> {
            if (failure == null) {
                try {
                    then.accept(found);
                } catch (LedgerException.Corrupt corrupt) {
                    // An epoch or checkpoint record that is not a number: nothing safe to do but stop.
                    stop(corrupt, Long.MAX_VALUE);
                }
            } else {
                retry(budget, failure, false, () -> readKey(key, budget, exhausted, then), exhausted);
            }
        });
        out.add(new Read(id, key));
    }

    private void putKey(String key, byte[] bytes, ConditionalPut condition, PutAnswer then) {
        long id = ++requests;
        puts.put(id, then);
        out.add(new Put(id, key, bytes, condition));
    }

    /**
     * Tries again after a backoff, or gives up when the budget (attempts and deadline) is spent.
     * Transport failures are retried; so are precondition failures when {@code collisionsToo}
     * (the step re-reads first); anything else gives up at once.
     */
    private void retry(RetryBudget budget, BackendException failure, boolean collisionsToo, Runnable again, Consumer<RuntimeException> exhausted) {
        boolean worth = failure.retryable() || (collisionsToo && collision(failure));
        OptionalLong at = worth ? budget.retryAt(now, random) : OptionalLong.empty();
        if (at.isEmpty()) {
            exhausted.accept(failure);
        } else {
            timer(at.getAsLong(), again);
        }
    }

    private void timer(long at, Runnable action) {
        long token = ++timerTokens;
        timers.put(token, action);
        out.add(new SetTimer(token, at));
    }

    private RetryBudget budget() {
        return new RetryBudget(options.retry(), now + options.retryDeadline().toNanos());
    }

    private void begin(long nowNanos) {
        now = nowNanos;
        events++;
        out = new ArrayList<>();
    }

    private List<Command> end() {
        List<Command> done = out;
        out = new ArrayList<>();
        return done;
    }
}
