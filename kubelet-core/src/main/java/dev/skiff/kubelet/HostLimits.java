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

    static Optional<Long> read(Path file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(file).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
