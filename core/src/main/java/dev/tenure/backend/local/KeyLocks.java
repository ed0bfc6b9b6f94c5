package dev.tenure.backend.local;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion per key across the threads of this process and across processes on the host.
 *
 * <p>Keys hash onto a fixed set of {@value #STRIPES} lock files, so the number of lock files is
 * bounded and they are never deleted (deleting a lock file races with its next user). The hash is
 * {@link String#hashCode()}, which the Java specification fixes, so every JVM agrees on it.
 *
 * <p>Operating-system file locks belong to the whole process and, on POSIX systems, closing
 * <em>any</em> descriptor of a file drops every lock the process holds on it. Two rules follow:
 * threads of this instance first take an in-process lock for the stripe; and a channel is only
 * ever closed while its own lock is held, so it can never drop a lock another
 * {@code LocalBackend} instance of this JVM holds on the same file. Such an instance shows up as
 * an {@link OverlappingFileLockException}, and this side waits for it.
 */
final class KeyLocks {

    static final int STRIPES = 1024;
    private static final long MAX_BACKOFF_NANOS = 1_000_000;

    private final Path lockDir;
    private final ReentrantLock[] local = new ReentrantLock[STRIPES];
    /** Each stripe's lock file, named once (written under the stripe's lock, read under it). */
    private final Path[] files = new Path[STRIPES];

    KeyLocks(Path lockDir) {
        this.lockDir = lockDir;
        for (int i = 0; i < STRIPES; i++) {
            local[i] = new ReentrantLock();
        }
    }

    /** A held lock on one key's stripe; closing releases it. */
    interface Held extends AutoCloseable {
        /** Fails unless the calling thread holds the lock: guards against a handle leaking to another thread. */
        void checkOwner();

        @Override
        void close() throws IOException;
    }

    Held lock(String key) throws IOException {
        int stripe = Math.floorMod(key.hashCode(), STRIPES);
        ReentrantLock inProcess = local[stripe];
        inProcess.lock();
        try {
            FileChannel channel = open(stripe);
            try {
                acquire(channel);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            return new Held() {
                @Override
                public void checkOwner() {
                    if (!inProcess.isHeldByCurrentThread()) {
                        throw new IllegalStateException("key lock used by a thread that does not hold it");
                    }
                }

                @Override
                public void close() throws IOException {
                    try {
                        // Closing the channel releases our lock; no other holder can exist while we hold it.
                        channel.close();
                    } finally {
                        inProcess.unlock();
                    }
                }
            };
        } catch (IOException | RuntimeException | Error e) {
            inProcess.unlock();
            throw e;
        }
    }

    /** Opens the stripe's lock file; the directory is made only when it is missing, not checked every time. */
    private FileChannel open(int stripe) throws IOException {
        Path file = files[stripe];
        if (file == null) {
            file = lockDir.resolve(String.format("%04d.lock", stripe));
            files[stripe] = file;
        }
        try {
            return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (NoSuchFileException missingDirectory) {
            Files.createDirectories(lockDir);
            return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }
    }

    private static void acquire(FileChannel channel) throws IOException {
        long backoff = 10_000;
        while (true) {
            try {
                channel.lock();
                return;
            } catch (OverlappingFileLockException heldByAnotherInstance) {
                LockSupport.parkNanos(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
            }
        }
    }
}
