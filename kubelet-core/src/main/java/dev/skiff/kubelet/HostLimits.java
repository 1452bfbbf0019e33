package dev.skiff.kubelet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Kernel limits a node with many pods runs into, checked once at start. Only a warning: the node still works until
 * the limit is reached, and Skiff must not change the host's settings itself.
 */
final class HostLimits {
    private static final Logger log = LoggerFactory.getLogger(HostLimits.class);
    /** What Kubernetes node images set; Debian's default is 128 per user. */
    static final long RECOMMENDED_INOTIFY_INSTANCES = 8192;
    private static final Path INOTIFY_INSTANCES = Path.of("/proc/sys/fs/inotify/max_user_instances");

    private HostLimits() {
    }

    static void warnIfLow() {
        read(INOTIFY_INSTANCES).filter(n -> n < 1024).ifPresent(n -> log.warn(
                "fs.inotify.max_user_instances is {}: dockerd spends one per followed container log, so about as many"
                        + " running containers exhaust it and then new logs and manifest watches fail; raise it, as"
                        + " Kubernetes nodes do: sysctl -w fs.inotify.max_user_instances={}", n,
                RECOMMENDED_INOTIFY_INSTANCES));
    }

    /**
     * One number from a sysctl file. Not Files.readString: it reads a file of size 0 (all of /proc) by a first byte
     * and then the rest, and an integer sysctl answers a read past offset 0 with end-of-file ("8" for 8192).
     */
    static Optional<Long> read(Path file) {
        try (var in = Files.newBufferedReader(file)) {
            String line = in.readLine();
            return line == null ? Optional.empty() : Optional.of(Long.parseLong(line.strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
