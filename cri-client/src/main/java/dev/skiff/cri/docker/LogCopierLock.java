package dev.skiff.cri.docker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who copies a container's log: at most one copier per container on the host. Every shim that
 * connects adopts the running pod containers it finds (that is how a restarted shim goes on
 * copying), so without an owner two shims on one Docker Engine (a second Skiff, a test's shim, a
 * restarted shim whose predecessor still runs) would both append every line to the same CRI
 * file. The owner holds an exclusive lock on {@code <dir>/<containerId>.lock}: an OS lock between
 * processes (released when the process dies, so a successor takes over) and a set in this JVM
 * between copiers of one process (POSIX locks are per process, and closing any channel on the
 * file would drop them).
 */
final class LogCopierLock {
    /** Host-wide, so that shims with different settings meet; /run is cleared at boot, as the locks are. */
    static final Path DEFAULT_DIR = Path.of("/run/skiff/log-copiers");
    private static final Set<Path> HELD_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private LogCopierLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock for the container, or empty while another copier (of this or another process) holds it. */
    static Optional<LogCopierLock> tryAcquire(Path dir, String containerId) throws IOException {
        Path file = file(dir, containerId);
        if (!HELD_IN_THIS_JVM.add(file)) {
            return Optional.empty();
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                HELD_IN_THIS_JVM.remove(file);
                return Optional.empty();
            }
            return Optional.of(new LogCopierLock(file, channel, lock));
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // the open failure is what matters
                }
            }
            HELD_IN_THIS_JVM.remove(file);
            if (e instanceof OverlappingFileLockException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Removes a removed container's lock file (best effort; a copier still waiting on it ends with the container). */
    static void delete(Path dir, String containerId) {
        try {
            Files.deleteIfExists(file(dir, containerId));
        } catch (IOException ignored) {
            // a leftover empty file in /run is harmless
        }
    }

    void release() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // closing the channel drops the lock in any case
        } finally {
            HELD_IN_THIS_JVM.remove(file);
        }
    }

    private static Path file(Path dir, String containerId) {
        if (!containerId.matches("[0-9a-zA-Z_.-]+") || containerId.startsWith(".")) {
            throw new IllegalArgumentException("not a container id: " + containerId);
        }
        return dir.resolve(containerId + ".lock").toAbsolutePath().normalize();
    }
}
