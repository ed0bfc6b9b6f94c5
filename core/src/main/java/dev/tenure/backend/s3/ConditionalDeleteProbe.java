package dev.tenure.backend.s3;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.ConditionalPut;
import dev.tenure.backend.ObjectVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open-time probe behind {@link ConditionalDeleteSupport}: whether the store truly enforces a
 * conditional DELETE, found by trying it, under {@code tenure-probe/<random>/} in the backend's
 * prefix.
 *
 * <ol>
 *   <li>A DELETE with a stale version (the object was overwritten since) must be refused as a
 *       failed precondition, and the object must still be there with its current version.</li>
 *   <li>A DELETE with the current version must succeed, and the object must be gone.</li>
 *   <li>{@link #RACE_ROUNDS} rounds of a conditional DELETE racing a conditional PUT of the same
 *       version on two threads: exactly one may win, and the object left must be the winner's
 *       doing. A store that checks the condition and deletes in two steps lets both win.</li>
 * </ol>
 *
 * Anything else (the condition ignored, the current version refused, an error, an answer whose
 * outcome is unknown) leaves conditional deletes refused: an outcome the probe cannot know is
 * never read as "enforced".
 */
final class ConditionalDeleteProbe {

    static final int RACE_ROUNDS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(ConditionalDeleteProbe.class);

    private ConditionalDeleteProbe() {
    }

    /** Signals that the store did not enforce the condition; the message is the evidence. */
    private static final class NotEnforced extends Exception {
        private static final long serialVersionUID = 1L;

        NotEnforced(String evidence) {
            super(evidence, null, false, false);
        }
    }

    static ConditionalDeleteSupport run(S3Backend backend) {
        String prefix = "tenure-probe/" + UUID.randomUUID() + "/";
        List<String> written = new ArrayList<>();
        try {
            sequential(backend, prefix + "delete", written);
            race(backend, prefix, written);
            return new ConditionalDeleteSupport(true, "open-time probe: a DELETE with a stale version was refused and the"
                    + " object survived; with the current version it was deleted; " + RACE_ROUNDS + " rounds of a conditional"
                    + " DELETE racing a conditional PUT had one winner each");
        } catch (NotEnforced e) {
            return new ConditionalDeleteSupport(false, "open-time probe: " + e.getMessage());
        } catch (BackendException e) {
            return new ConditionalDeleteSupport(false, "open-time probe could not finish, so it is not trusted: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ConditionalDeleteSupport(false, "open-time probe interrupted");
        } finally {
            cleanUp(backend, written);
        }
    }

    private static void sequential(S3Backend backend, String key, List<String> written) throws NotEnforced {
        written.add(key);
        ObjectVersion stale = backend.put(key, bytes("one"), ConditionalPut.ifAbsent());
        ObjectVersion current = backend.put(key, bytes("two"), ConditionalPut.ifVersion(stale));
        try {
            backend.sendConditionalDelete(key, stale);
            throw new NotEnforced("a DELETE with a stale version was answered as a success and "
                    + (backend.objectVersion(key).isPresent() ? "the object is still there" : "deleted the object"));
        } catch (BackendException e) {
            requirePreconditionFailed(e, "a DELETE with a stale version");
        }
        Optional<ObjectVersion> after = backend.objectVersion(key);
        if (!after.equals(Optional.of(current))) {
            throw new NotEnforced("a DELETE with a stale version was refused, but the object then "
                    + after.map(v -> "had version " + v.token()).orElse("was gone"));
        }
        try {
            backend.sendConditionalDelete(key, current);
        } catch (BackendException e) {
            requireNotPreconditionFailed(e, "a DELETE with the current version");
            throw e;
        }
        if (backend.objectVersion(key).isPresent()) {
            throw new NotEnforced("a DELETE with the current version was answered as a success, but the object is still there");
        }
        written.remove(key);
    }

    private static void race(S3Backend backend, String prefix, List<String> written)
            throws NotEnforced, InterruptedException {
        Duration wait = backend.operationDeadline().orElse(Duration.ofSeconds(30)).multipliedBy(2);
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "tenure-delete-probe");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int round = 0; round < RACE_ROUNDS; round++) {
                String key = prefix + "race-" + round;
                byte[] rival = bytes("rival-" + round);
                written.add(key);
                ObjectVersion base = backend.put(key, bytes("base"), ConditionalPut.ifAbsent());
                CountDownLatch start = new CountDownLatch(1);
                Future<Boolean> deleter = pool.submit(() -> {
                    start.await();
                    return wins(() -> backend.sendConditionalDelete(key, base));
                });
                Future<ObjectVersion> writer = pool.submit(() -> {
                    start.await();
                    try {
                        return backend.put(key, rival, ConditionalPut.ifVersion(base));
                    } catch (BackendException e) {
                        if (e.kind() == BackendException.Kind.PRECONDITION_FAILED) {
                            return null;
                        }
                        throw e;
                    }
                });
                start.countDown();
                boolean deleted = await(deleter, wait);
                ObjectVersion rewritten = await(writer, wait);
                Optional<ObjectVersion> left = backend.objectVersion(key);
                if (deleted && rewritten != null) {
                    throw new NotEnforced("a conditional DELETE and a conditional PUT of the same version both succeeded"
                            + " in race round " + (round + 1) + " (the object " + (left.isPresent() ? "remains" : "is gone") + ")");
                }
                if (!deleted && rewritten == null) {
                    throw new NotEnforced("neither a conditional DELETE nor a conditional PUT of the current version"
                            + " succeeded in race round " + (round + 1));
                }
                Optional<ObjectVersion> expected = deleted ? Optional.empty() : Optional.of(rewritten);
                if (!left.equals(expected)) {
                    throw new NotEnforced("in race round " + (round + 1) + " the " + (deleted ? "DELETE" : "PUT")
                            + " won, but the object " + left.map(v -> "has version " + v.token()).orElse("is gone"));
                }
                if (left.isEmpty()) {
                    written.remove(key);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private interface Call {
        void run();
    }

    private static boolean wins(Call call) {
        try {
            call.run();
            return true;
        } catch (BackendException e) {
            if (e.kind() == BackendException.Kind.PRECONDITION_FAILED) {
                return false;
            }
            throw e;
        }
    }

    private static <T> T await(Future<T> future, Duration wait) throws InterruptedException {
        try {
            return future.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BackendException b) {
                throw b;
            }
            throw BackendException.internal(null, "the conditional delete probe failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            future.cancel(true);
            throw BackendException.transport(null, true, "the conditional delete probe's race did not finish within " + wait, e);
        }
    }

    private static void requirePreconditionFailed(BackendException e, String what) throws NotEnforced {
        if (e.kind() == BackendException.Kind.PRECONDITION_FAILED) {
            return;
        }
        if (e.kind() == BackendException.Kind.CONFIG) {
            // 400, 501 and the like: the store does not take the condition; nothing to enforce.
            throw new NotEnforced(what + " was refused as unsupported: " + e.getMessage());
        }
        throw e;
    }

    private static void requireNotPreconditionFailed(BackendException e, String what) throws NotEnforced {
        if (e.kind() == BackendException.Kind.PRECONDITION_FAILED || e.kind() == BackendException.Kind.CONFIG) {
            throw new NotEnforced(what + " was refused (" + e.getMessage() + "), so the condition cannot be used here");
        }
    }

    /** Unconditional deletes of what the probe wrote and did not see gone; a delete of an absent key is fine. */
    private static void cleanUp(S3Backend backend, List<String> keys) {
        for (String key : keys) {
            try {
                backend.delete(key);
            } catch (BackendException e) {
                LOG.warn("the conditional delete probe could not remove '{}' from {}: {}", key, backend.name(), e.getMessage());
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
