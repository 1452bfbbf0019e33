package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import dev.skiff.cri.stats.DiskUsage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Bytes and inodes of each container's writable layer (overlay2's upper directory), measured in the background
 * every {@link #PERIOD} on one thread ({@code writable-layer-usage}) and answered from that cache, as containerd's
 * snapshot syncer does: a stats call never walks a tree. A container first asked for is measured on the next
 * round; until then it has no writable layer figure.
 */
final class WritableLayers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WritableLayers.class);
    static final Duration PERIOD = Duration.ofSeconds(10);

    record Usage(long timestampNanos, long usedBytes, long inodesUsed) {}

    private final DockerClient docker;
    private final Map<String, Path> upperDirs = new ConcurrentHashMap<>();
    private final Map<String, Usage> usage = new ConcurrentHashMap<>();
    private final Set<String> wanted = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService thread;

    WritableLayers(DockerClient docker) {
        this.docker = docker;
    }

    /** The last measurement of a container's writable layer; asks for one when there is none yet. */
    Optional<Usage> usage(String containerId) {
        wanted.add(containerId);
        start();
        return Optional.ofNullable(usage.get(containerId));
    }

    /** Forgets a removed container. */
    void forget(String containerId) {
        wanted.remove(containerId);
        usage.remove(containerId);
        upperDirs.remove(containerId);
    }

    private synchronized void start() {
        if (thread == null) {
            thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "writable-layer-usage");
                t.setDaemon(true);
                return t;
            });
            thread.scheduleWithFixedDelay(this::measureAll, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void measureAll() {
        for (String id : Set.copyOf(wanted)) {
            try {
                Optional<Path> upper = upperDir(id);
                if (upper.isEmpty() || !Files.isDirectory(upper.get())) {
                    forget(id); // removed, or not an overlay container
                    continue;
                }
                DiskUsage du = DiskUsage.of(upper.get());
                usage.put(id, new Usage(ContainerService.nowNanos(), du.usedBytes(), du.inodesUsed()));
            } catch (Exception e) {
                log.debug("cannot measure the writable layer of container {}: {}", DockerErrors.shortId(id), e.toString());
            }
        }
    }

    /**
     * Where Docker keeps the container's upper directory, found as cAdvisor's docker handler finds it: the layer
     * store names the container's mount ({@code image/<driver>/layerdb/mounts/<id>/mount-id}), whose
     * {@code <driver>/<mount-id>/diff} is the writable layer (inspect's GraphDriver data is not modelled by
     * docker-java).
     */
    private Optional<Path> upperDir(String id) throws java.io.IOException {
        Path known = upperDirs.get(id);
        if (known != null) {
            return Optional.of(known);
        }
        Storage storage = storage();
        if (!storage.driver().equals("overlay2") && !storage.driver().equals("overlay")) {
            return Optional.empty();
        }
        Path mountId = storage.root().resolve("image").resolve(storage.driver()).resolve("layerdb/mounts").resolve(id).resolve("mount-id");
        if (!Files.exists(mountId)) {
            return Optional.empty();
        }
        String mount = Files.readString(mountId).trim();
        if (!mount.matches("[0-9a-f]{64}(-init)?")) {
            return Optional.empty();
        }
        Path upper = storage.root().resolve(storage.driver()).resolve(mount).resolve("diff");
        upperDirs.put(id, upper);
        return Optional.of(upper);
    }

    /** Docker's root directory and storage driver. */
    record Storage(Path root, String driver) {}

    private volatile Storage storage;

    Storage storage() {
        Storage s = storage;
        if (s == null) {
            String root = null, driver = null;
            try {
                var info = docker.infoCmd().exec();
                root = info.getDockerRootDir();
                driver = info.getDriver();
            } catch (RuntimeException e) {
                log.debug("docker info: {}", e.toString());
            }
            s = new Storage(Path.of(root == null || root.isEmpty() ? "/var/lib/docker" : root), driver == null ? "" : driver);
            if (driver != null) {
                storage = s;
            }
        }
        return s;
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }
}
