package dev.tenure.sim;

import dev.tenure.backend.AtomicRemoteBackend;
import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ForwardingAtomicBackend;
import dev.tenure.backend.ObjectVersion;
import dev.tenure.backend.memory.InMemoryBackend;
import dev.tenure.lease.FencedObjects;
import dev.tenure.lease.FencedWriteException;
import dev.tenure.lease.FencingToken;
import dev.tenure.retry.RetryPolicy;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Fenced writes of a user's own object ({@link FencedObjects}) under the faults that decide what a
 * write reports: an answer lost after the write was applied, a write lost before it was applied, a
 * write that lands late (still conditional, so only if nothing changed meanwhile), a newer holder
 * writing between a stale writer's read and its write, and the writer closed (its lease lost)
 * between two attempts. Writers of several epochs keep writing, the older ones stale.
 *
 * <p>Its own store and its own random stream, derived from the seed: the recorded lease history
 * does not change. The checker ({@value #CHECKER}): a write reported written landed; one reported
 * fenced, closed or failed never landed, not even late; the epochs stored never go down.
 */
final class SimFencedWrites {

    static final String CHECKER = "fenced-writes";
    private static final String KEY = "data/object";
    private static final int WRITES = 60;
    /** Retries with no real wait: the simulator runs no real time. */
    private static final RetryPolicy NO_WAIT = new RetryPolicy(Duration.ofNanos(1), Duration.ofNanos(1), 1.0, 6);
    private static final VarHandle UNKNOWN_AFTER_LOST_ANSWER;

    static {
        try {
            UNKNOWN_AFTER_LOST_ANSWER = MethodHandles.privateLookupIn(FencedObjects.class, MethodHandles.lookup())
                    .findVarHandle(FencedObjects.class, "unknownAfterLostAnswer", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private record Landed(String payload, long epoch) {
    }

    private final SplittableRandom random;
    private final boolean mutated;
    private final InMemoryBackend raw = new InMemoryBackend();
    private final List<Landed> landed = new ArrayList<>();
    private final List<Runnable> late = new ArrayList<>();
    /** Each write's payload and what its writer was told. */
    private final Map<String, String> told = new LinkedHashMap<>();
    private FencedObjects active;
    private Runnable beforeNextPut;

    SimFencedWrites(long seed, boolean mutated) {
        this.random = new SplittableRandom(seed * 0xBF58476D1CE4E5B9L + 0xFE4CEDL);
        this.mutated = mutated;
    }

    /** Runs the writes and returns what the checker finds. */
    List<SimulationResult.Violation> run() {
        AtomicRemoteBackend store = faulty();
        List<FencedObjects> writers = new ArrayList<>();
        int epochs = 3 + random.nextInt(4);
        for (int e = 1; e <= epochs; e++) {
            FencedObjects w = FencedObjects.open(store, new FencingToken("writer", e), NO_WAIT, Duration.ofMinutes(1));
            UNKNOWN_AFTER_LOST_ANSWER.set(w, !mutated);
            writers.add(w);
        }
        for (int i = 0; i < WRITES; i++) {
            int newest = Math.min(writers.size() - 1, i * writers.size() / WRITES + 1);
            int w = random.nextInt(4) == 0 ? random.nextInt(newest + 1) : newest; // sometimes a stale holder
            if (w < newest && random.nextBoolean()) {
                FencedObjects newer = writers.get(newest);
                beforeNextPut = () -> write(newer, "race"); // the newer holder slips in between read and write
            }
            if (!late.isEmpty() && random.nextInt(3) == 0) {
                late.remove(random.nextInt(late.size())).run();
            }
            write(writers.get(w), "w" + i);
        }
        late.forEach(Runnable::run);
        late.clear();
        return check();
    }

    private void write(FencedObjects writer, String tag) {
        String payload = tag + "@" + writer.token().epoch() + "#" + told.size();
        FencedObjects outer = active;
        active = writer;
        String outcome;
        try {
            writer.write(KEY, payload.getBytes(StandardCharsets.UTF_8));
            outcome = "written";
        } catch (FencedWriteException.Fenced | FencedWriteException.Closed definite) {
            outcome = "not written (" + definite.getClass().getSimpleName() + ")";
        } catch (FencedWriteException.OutcomeUnknown unknown) {
            outcome = "unknown";
        } catch (BackendException e) {
            outcome = e.ambiguous() ? "unknown" : "not written (" + e.kind() + ")";
        } finally {
            active = outer;
        }
        told.put(payload, outcome);
    }

    private AtomicRemoteBackend faulty() {
        AtomicRemoteBackend recording = new ForwardingAtomicBackend(raw) {
            @Override
            public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
                ObjectVersion v = super.put(key, bytes, condition);
                FencedObjects.read(raw, key).ifPresent(s -> landed.add(new Landed(new String(s.data(), StandardCharsets.UTF_8),
                        s.token().epoch())));
                return v;
            }
        };
        return new ForwardingAtomicBackend(recording) {
            @Override
            public ObjectVersion put(String key, byte[] bytes, ConditionalPut condition) {
                Runnable race = beforeNextPut;
                beforeNextPut = null;
                if (race != null) {
                    race.run();
                }
                int dice = random.nextInt(20);
                if (dice == 0) {
                    super.put(key, bytes, condition); // applied, answer lost
                    return lost(key);
                }
                if (dice == 1) {
                    return lost(key); // lost before it was applied
                }
                if (dice == 2) {
                    late.add(() -> {
                        try {
                            recording.put(key, bytes, condition); // a delayed request, still conditional
                        } catch (BackendException changedMeanwhile) {
                            // not applied: the object changed since its read
                        }
                    });
                    return lost(key);
                }
                return super.put(key, bytes, condition);
            }

            private ObjectVersion lost(String key) {
                if (active != null && random.nextInt(3) == 0) {
                    active.close("lease lost"); // the writer's lease ends before it tries again
                }
                throw BackendException.transport(key, true, "timeout: the answer was lost", null);
            }
        };
    }

    private List<SimulationResult.Violation> check() {
        List<SimulationResult.Violation> out = new ArrayList<>();
        Set<String> landedPayloads = new HashSet<>();
        long epoch = 0;
        for (Landed l : landed) {
            landedPayloads.add(l.payload());
            if (l.epoch() < epoch) {
                out.add(new SimulationResult.Violation(CHECKER, l.payload() + " (epoch " + l.epoch() + ") landed over epoch " + epoch));
            }
            epoch = Math.max(epoch, l.epoch());
        }
        for (Map.Entry<String, String> t : told.entrySet()) {
            boolean didLand = landedPayloads.contains(t.getKey());
            if (t.getValue().equals("written") && !didLand) {
                out.add(new SimulationResult.Violation(CHECKER, t.getKey() + " was reported written and never landed"));
            } else if (t.getValue().startsWith("not written") && didLand) {
                out.add(new SimulationResult.Violation(CHECKER, t.getKey() + " was reported " + t.getValue() + " and landed"));
            }
        }
        return out.size() > 3 ? out.subList(0, 3) : out;
    }
}
