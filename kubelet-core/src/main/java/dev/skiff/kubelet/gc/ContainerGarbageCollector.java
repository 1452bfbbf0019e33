package dev.skiff.kubelet.gc;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ListPodSandboxRequest;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import dev.skiff.kubelet.kuberuntime.manager.ContainerGc;
import dev.skiff.volume.util.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One pass of upstream's container GC (kuberuntime_gc.go evictContainers, evictSandboxes, evictPodLogsDirectories)
 * with MaxPerPodContainer=1 and MaxContainers=-1, over every pod in the runtime:
 * <ul>
 * <li>a pod the kubelet knows or owns keeps the newest exited instance of each container (its lastState, for
 * {@code previous} logs); older exited instances go, with their log files; of its sandboxes the newest stays, and
 * so does every ready one or one a remaining container belongs to;</li>
 * <li>a pod that is gone ({@link PodOwnership#isGone}) loses every container that is not running and every sandbox
 * that is not ready and has no container left;</li>
 * <li>any other pod (another kubelet's or CRI client's) is left alone;</li>
 * <li>a pod log directory under our pod logs dir goes when no runtime object and no known pod has its uid, and
 * either the pod is ours or the directory holds no file and is older than {@link #EMPTY_LOG_DIR_MIN_AGE}.</li>
 * </ul>
 * Running containers and ready sandboxes are never touched, nor containers without a pod uid label.
 */
public final class ContainerGarbageCollector {
    /** An empty log dir of an unknown pod may be one another kubelet made just before its sandbox: let it settle. */
    static final Duration EMPTY_LOG_DIR_MIN_AGE = Duration.ofMinutes(1);
    private static final Logger log = LoggerFactory.getLogger(ContainerGarbageCollector.class);

    private final RuntimeService runtime;
    private final ContainerGc remover;
    private final PodOwnership pods;
    private final Path podLogsDir;
    private final Clock clock;

    /** What one pass removed and what it left alone. */
    public record Result(int containersRemoved, int sandboxesRemoved, int logDirsRemoved, int foreignPodsLeft,
                         int failures) {
    }

    public ContainerGarbageCollector(RuntimeService runtime, ContainerGc remover, PodOwnership pods, Path podLogsDir,
                                     Clock clock) {
        this.runtime = runtime;
        this.remover = remover;
        this.pods = pods;
        this.podLogsDir = podLogsDir;
        this.clock = clock;
    }

    private static final class PodParts {
        final String uid;
        String name = "";
        String namespace = "";
        final List<PodSandbox> sandboxes = new ArrayList<>();
        final List<Container> containers = new ArrayList<>();

        PodParts(String uid) {
            this.uid = uid;
        }

        String ref() {
            return namespace + "/" + name + " (" + uid + ")";
        }
    }

    public Result collect() {
        List<PodSandbox> sandboxes = runtime.listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
        List<Container> containers = runtime.listContainers(ListContainersRequest.getDefaultInstance()).getContainersList();
        Map<String, PodParts> byUid = group(sandboxes, containers);

        int containersRemoved = 0;
        int sandboxesRemoved = 0;
        int foreign = 0;
        int failures = 0;
        Set<String> stillPresent = new HashSet<>();
        for (PodParts pod : byUid.values()) {
            boolean gone = pods.isGone(pod.uid);
            if (!gone && !pods.isOurs(pod.uid)) {
                foreign++;
                stillPresent.add(pod.uid);
                continue;
            }
            Set<String> removed = new HashSet<>();
            for (Container c : evictableContainers(pod.containers, gone)) {
                if (remover.removeContainer(pod.ref(), c.getId())) {
                    removed.add(c.getId());
                    containersRemoved++;
                } else {
                    failures++;
                }
            }
            Set<String> sandboxesWithContainers = new HashSet<>();
            for (Container c : pod.containers) {
                if (!removed.contains(c.getId())) {
                    sandboxesWithContainers.add(c.getPodSandboxId());
                }
            }
            int sandboxesLeft = pod.sandboxes.size();
            for (PodSandbox s : evictableSandboxes(pod.sandboxes, sandboxesWithContainers, gone)) {
                if (remover.removeSandbox(pod.ref(), s.getId())) {
                    sandboxesRemoved++;
                    sandboxesLeft--;
                } else {
                    failures++;
                }
            }
            if (pod.containers.size() > removed.size() || sandboxesLeft > 0) {
                stillPresent.add(pod.uid);
            }
        }
        int logDirs = pods.sourcesReady() ? evictPodLogDirs(stillPresent) : 0;
        return new Result(containersRemoved, sandboxesRemoved, logDirs, foreign, failures);
    }

    /**
     * For a gone pod every container that is not running; otherwise the exited instances beyond the newest per
     * container name (a created or unknown instance may be one a pod worker is about to start, so it stays).
     */
    static List<Container> evictableContainers(List<Container> containers, boolean gone) {
        List<Container> newestFirst = new ArrayList<>(containers);
        newestFirst.sort(Comparator.comparingLong(Container::getCreatedAt).reversed());
        List<Container> out = new ArrayList<>();
        Map<String, Integer> deadSeen = new HashMap<>();
        for (Container c : newestFirst) {
            if (c.getState() == ContainerState.CONTAINER_RUNNING) {
                continue;
            }
            if (gone) {
                out.add(c);
            } else if (c.getState() == ContainerState.CONTAINER_EXITED
                    && deadSeen.merge(c.getMetadata().getName(), 1, Integer::sum) > 1) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * Sandboxes that are not ready and have no container left; for a pod that is not gone the newest sandbox stays
     * too (upstream keeps it: it carries the pod's latest network and attempt).
     */
    static List<PodSandbox> evictableSandboxes(List<PodSandbox> sandboxes, Set<String> withContainers, boolean gone) {
        List<PodSandbox> newestFirst = new ArrayList<>(sandboxes);
        newestFirst.sort(Comparator.comparingLong(PodSandbox::getCreatedAt).reversed());
        List<PodSandbox> out = new ArrayList<>();
        for (int i = gone ? 0 : 1; i < newestFirst.size(); i++) {
            PodSandbox s = newestFirst.get(i);
            if (s.getState() != PodSandboxState.SANDBOX_READY && !withContainers.contains(s.getId())) {
                out.add(s);
            }
        }
        return out;
    }

    /** Sandboxes by metadata uid (or label); containers by their pod uid label; the rest is not a kubelet's. */
    private static Map<String, PodParts> group(List<PodSandbox> sandboxes, List<Container> containers) {
        Map<String, PodParts> byUid = new LinkedHashMap<>();
        for (PodSandbox s : sandboxes) {
            String uid = s.getMetadata().getUid().isEmpty()
                    ? s.getLabelsOrDefault(KubeAnnotations.POD_UID, "") : s.getMetadata().getUid();
            if (uid.isEmpty()) {
                continue;
            }
            PodParts p = byUid.computeIfAbsent(uid, PodParts::new);
            p.sandboxes.add(s);
            if (p.name.isEmpty()) {
                p.name = s.getMetadata().getName();
                p.namespace = s.getMetadata().getNamespace();
            }
        }
        for (Container c : containers) {
            String uid = c.getLabelsOrDefault(KubeAnnotations.POD_UID, "");
            if (uid.isEmpty()) {
                continue; // not a kubelet's container: never ours to remove
            }
            PodParts p = byUid.computeIfAbsent(uid, PodParts::new);
            p.containers.add(c);
            if (p.name.isEmpty()) {
                p.name = c.getLabelsOrDefault(KubeAnnotations.POD_NAME, "");
                p.namespace = c.getLabelsOrDefault(KubeAnnotations.POD_NAMESPACE, "");
            }
        }
        return byUid;
    }

    /** Upstream evictPodLogsDirectories, within the ownership rule (see the class comment). */
    private int evictPodLogDirs(Set<String> uidsInRuntime) {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(podLogsDir)) {
            dirs = s.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            return 0; // no pod logs dir yet
        }
        int removed = 0;
        Instant settledBefore = clock.instant().minus(EMPTY_LOG_DIR_MIN_AGE);
        for (Path dir : dirs) {
            String name = dir.getFileName().toString();
            int cut = name.lastIndexOf('_');
            String uid = cut < 0 ? "" : name.substring(cut + 1);
            if (uid.isEmpty() || uidsInRuntime.contains(uid) || pods.isKnown(uid)) {
                continue;
            }
            try {
                boolean ours = pods.isOwned(uid);
                if (!ours && (holdsFiles(dir) || Files.getLastModifiedTime(dir).toInstant().isAfter(settledBefore))) {
                    continue;
                }
                FileTrees.deleteOnOneFilesystem(dir); // never follows a link, never crosses a mount
                removed++;
                log.info("pod uid {}: removed pod log directory {} ({})", uid, dir,
                        ours ? "pod deleted" : "empty, no pod");
            } catch (IOException e) {
                log.warn("pod uid {}: cannot remove pod log directory {}: {}", uid, dir, e.toString());
            }
        }
        return removed;
    }

    private static boolean holdsFiles(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.anyMatch(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS));
        }
    }
}
