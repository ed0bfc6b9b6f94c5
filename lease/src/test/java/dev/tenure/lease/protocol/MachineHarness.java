package dev.tenure.lease.protocol;

import dev.tenure.lease.LeaseClock;
import dev.tenure.lease.LeaseConfig;
import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.Versioned;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.protocol.LeaseMachine.Command;
import dev.tenure.retry.RetryPolicy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Drives lease machines by hand in virtual time against one store: requests wait in a queue until
 * the test delivers them (so a test can let time pass while a request is "in flight"), timers
 * fire when the test advances the clock, and every notification is recorded.
 */
final class MachineHarness {

    static final Duration TTL = Duration.ofMillis(1000);
    static final Duration RENEW = Duration.ofMillis(300);
    static final Duration SAFETY = Duration.ofMillis(100);
    static final Duration SKEW = Duration.ofMillis(50);
    static final Duration TIMEOUT = Duration.ofMillis(200);

    final AtomicRemoteBackend store;
    long now;
    int reads;
    int writes;

    private record Timer(long at, long seq, Node node, LeaseMachine.SetTimer timer) {
    }

    private record Pending(Node node, Command request) {
    }

    private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private final Deque<Pending> inFlight = new ArrayDeque<>();
    private long seq;

    /** One holder's machine and what it was told. */
    final class Node {
        final String holder;
        final LeaseMachine machine;
        final List<LeaseMachine.Event> events = new ArrayList<>();
        final List<Long> eventTimes = new ArrayList<>();
        boolean crashed;
        /** Until this true instant the node is paused: its timers wait. */
        long pausedUntil;
        /** This node's clock rate relative to true time (1.0 = exact). */
        double rate = 1.0;

        long local() {
            return (long) (now * rate);
        }

        long toTrue(long localNanos) {
            return (long) Math.ceil(localNanos / rate);
        }

        Node(String holder, long seed) {
            this(holder, seed, TTL, RENEW, SAFETY, TIMEOUT);
        }

        Node(String holder, long seed, Duration ttl, Duration renew, Duration safety, Duration timeout) {
            this.holder = holder;
            LeaseConfig config = new LeaseConfig("leases/", holder, ttl, renew, safety, SKEW, timeout, RetryPolicy.tests(),
                    new LeaseClock() {
                        @Override
                        public long nanoTime() {
                            return local();
                        }

                        @Override
                        public long wallMillis() {
                            return now / 1_000_000;
                        }
                    });
            this.machine = new LeaseMachine(config, "writer", new SplittableRandom(seed));
        }

        /** Carries out commands with the production dispatcher; a request is sent (and its send time told) at once. */
        void handle(List<Command> commands) {
            if (crashed) {
                return;
            }
            Node node = this;
            List<Command> sentNotes = new ArrayList<>();
            CommandDispatcher.dispatch(commands, new CommandDispatcher.Target() {
                @Override
                public void read(LeaseMachine.Read read) {
                    inFlight.add(new Pending(node, read));
                    sentNotes.addAll(machine.onSent(read.requestId(), local()));
                }

                @Override
                public void write(LeaseMachine.Write write) {
                    inFlight.add(new Pending(node, write));
                    sentNotes.addAll(machine.onSent(write.requestId(), local()));
                }

                @Override
                public void timer(LeaseMachine.SetTimer t) {
                    timers.add(new Timer(toTrue(t.atNanos()), seq++, node, t));
                }

                @Override
                public void notify(LeaseMachine.Event event) {
                    events.add(event);
                    eventTimes.add(now);
                }
            });
            if (!sentNotes.isEmpty()) {
                handle(sentNotes);
            }
        }

        <T extends LeaseMachine.Event> Optional<T> last(Class<T> type) {
            for (int i = events.size() - 1; i >= 0; i--) {
                if (type.isInstance(events.get(i))) {
                    return Optional.of(type.cast(events.get(i)));
                }
            }
            return Optional.empty();
        }

        boolean valid() {
            return machine.isValid(local());
        }
    }

    MachineHarness() {
        this(new InMemoryBackend());
    }

    MachineHarness(AtomicRemoteBackend store) {
        this.store = store;
    }

    Node node(String holder) {
        return new Node(holder, holder.hashCode());
    }

    Node node(String holder, Duration ttl, Duration renew, Duration safety, Duration timeout) {
        return new Node(holder, holder.hashCode(), ttl, renew, safety, timeout);
    }

    /** Starts an attempt on {@code node} and delivers everything it sends. */
    void tryAcquire(Node n) {
        n.handle(n.machine.acquire(n.local(), LeaseMachine.Mode.ONCE, 0));
        settle();
    }

    int inFlight() {
        return inFlight.size();
    }

    Command peek() {
        return inFlight.peek().request();
    }

    /** Delivers the oldest request to the store and its answer to the machine. */
    void deliver() {
        Pending p = inFlight.poll();
        if (p.request() instanceof LeaseMachine.Read r) {
            reads++;
            Optional<Versioned<byte[]>> found;
            try {
                found = store.read(p.node().machine.key());
            } catch (BackendException e) {
                p.node().handle(p.node().machine.onRead(r.requestId(), p.node().local(), Optional.empty(), e));
                return;
            }
            p.node().handle(p.node().machine.onRead(r.requestId(), p.node().local(), found, null));
        } else {
            LeaseMachine.Write w = (LeaseMachine.Write) p.request();
            writes++;
            ObjectVersion v;
            try {
                v = store.put(p.node().machine.key(), w.bytes(), w.condition());
            } catch (BackendException e) {
                p.node().handle(p.node().machine.onWrite(w.requestId(), p.node().local(), null, e));
                return;
            }
            p.node().handle(p.node().machine.onWrite(w.requestId(), p.node().local(), v, null));
        }
    }

    /** The oldest request is a write that the store applies, but whose answer is lost (ambiguous). */
    void applyButLoseAnswer() {
        Pending p = inFlight.poll();
        LeaseMachine.Write w = (LeaseMachine.Write) p.request();
        writes++;
        try {
            store.put(p.node().machine.key(), w.bytes(), w.condition());
        } catch (BackendException refused) {
            // Not applied after all; the answer is lost either way.
        }
        p.node().handle(p.node().machine.onWrite(w.requestId(), p.node().local(), null,
                BackendException.transport(p.node().machine.key(), true, "reset after sending", null)));
    }

    /** The oldest request fails with {@code failure} without reaching the store. */
    void fail(BackendException failure) {
        Pending p = inFlight.poll();
        if (p.request() instanceof LeaseMachine.Read r) {
            reads++;
            p.node().handle(p.node().machine.onRead(r.requestId(), p.node().local(), Optional.empty(), failure));
        } else {
            writes++;
            p.node().handle(p.node().machine.onWrite(((LeaseMachine.Write) p.request()).requestId(), p.node().local(), null, failure));
        }
    }

    /** The newest request fails with {@code failure} without reaching the store. */
    void failNewest(BackendException failure) {
        if (inFlight.size() > 1) {
            inFlight.addFirst(inFlight.pollLast());
        }
        fail(failure);
    }

    /** Drops the oldest request: it never reaches the store and no answer comes (its timeout will fire). */
    void drop() {
        inFlight.poll();
    }

    /** Delivers the newest request first: answers may come back out of order. */
    void deliverNewest() {
        if (inFlight.size() > 1) {
            inFlight.addFirst(inFlight.pollLast());
        }
        deliver();
    }

    /** Delivers requests until none is in flight. */
    void settle() {
        while (!inFlight.isEmpty()) {
            deliver();
        }
    }

    /** Moves time forward by {@code d}, firing due timers in order (and settling the requests they make). */
    void advance(Duration d) {
        settle();
        fireTimersUntil(now + d.toNanos(), true);
    }

    /** The process stops for {@code d} (a GC pause, a suspended VM): time passes and no timer fires until it resumes. */
    void pause(Duration d) {
        now += d.toNanos();
    }

    /** Moves time forward without delivering anything in flight. */
    void advanceHoldingRequests(Duration d) {
        fireTimersUntil(now + d.toNanos(), false);
    }

    private void fireTimersUntil(long until, boolean settleAfterEach) {
        while (!timers.isEmpty() && timers.peek().at() <= until) {
            Timer t = timers.poll();
            if (t.node().pausedUntil > t.at()) {
                timers.add(new Timer(t.node().pausedUntil, seq++, t.node(), t.timer()));
                continue;
            }
            now = Math.max(now, t.at());
            if (!t.node().crashed) {
                t.node().handle(t.node().machine.onTimer(t.timer().timer(), t.timer().token(), t.node().local()));
            }
            if (settleAfterEach) {
                settle();
            }
        }
        now = until;
    }

    LeaseRecord stored() {
        return LeaseRecordCodec.decode("leases/writer", store.read("leases/writer").orElseThrow().value());
    }

    static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
