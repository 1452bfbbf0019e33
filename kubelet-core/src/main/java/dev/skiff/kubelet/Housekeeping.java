package dev.skiff.kubelet;

import dev.skiff.cri.v1.Container;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import dev.skiff.kubelet.pleg.GenericPleg;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.status.StatusManager;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import dev.skiff.kubelet.worker.PodWorkers;
import dev.skiff.kubelet.worker.UpdatePodOptions;
import dev.skiff.kubelet.worker.UpdateType;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Upstream HandlePodCleanups, every 2 s on the sync loop thread: pods of ours no longer wanted are killed through
 * the pod workers (which then remove their containers, sandboxes and directories), statuses of forgotten pods are
 * dropped, and pod directories that nothing owns are removed when nothing is mounted there. Reads only
 * in-memory state (PLEG's last relist) and the pods directory, so it never stalls the loop on the runtime.
 */
final class Housekeeping {
    private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);

    private final PodManager pods;
    private final PodWorkers<Pod> workers;
    private final GenericPleg pleg;
    private final StatusManager statuses;
    private final CrashLoopBackOff backoff;
    private final Path podsDir;
    private final PodDirs dirs;
    private final Predicate<String> podHasVolumes;

    /** @param podHasVolumes true while the volume manager still wants or holds volumes of the pod uid */
    Housekeeping(PodManager pods, PodWorkers<Pod> workers, GenericPleg pleg, StatusManager statuses,
                 CrashLoopBackOff backoff, Path podsDir, PodDirs dirs, Predicate<String> podHasVolumes) {
        this.pods = pods;
        this.workers = workers;
        this.pleg = pleg;
        this.statuses = statuses;
        this.backoff = backoff;
        this.podsDir = podsDir;
        this.dirs = dirs;
        this.podHasVolumes = podHasVolumes;
    }

    void run() {
        Set<String> admitted = pods.admittedUids();
        workers.syncKnownPods(admitted);
        Map<String, RuntimePod> running = pleg.pods();
        for (RuntimePod rp : running.values()) {
            if (!admitted.contains(rp.uid()) && workers.state(rp.uid()).isEmpty() && ours(rp)) {
                log.info("pod {} ({}) is in the runtime but not wanted: killing it", rp.fullName(), rp.uid());
                Pod orphan = orphanPod(rp);
                workers.updatePod(new UpdatePodOptions<>(rp.uid(), rp.fullName(), UpdateType.KILL, orphan));
            }
        }
        Set<String> desired = pods.uids();
        for (String uid : statuses.uids()) {
            if (!desired.contains(uid) && workers.state(uid).isEmpty()) {
                statuses.remove(uid);
            }
        }
        removeOrphanedPodDirs(desired, running);
        backoff.gc();
    }

    /**
     * A pod this kubelet made: it has a directory under our root dir (made before its sandbox, removed after its
     * containers). Upstream kills every pod in the runtime it does not want; Skiff leaves alone the pods of
     * another kubelet or CRI client sharing the Docker Engine, so two of them never tear down each other's pods.
     */
    private boolean ours(RuntimePod rp) {
        return !rp.uid().isEmpty() && Files.isDirectory(podsDir.resolve(rp.uid()));
    }

    private void removeOrphanedPodDirs(Set<String> desired, Map<String, RuntimePod> running) {
        List<Path> dirsNow;
        try (Stream<Path> s = Files.list(podsDir)) {
            dirsNow = s.toList();
        } catch (IOException e) {
            return; // no pods dir yet
        }
        for (Path dir : dirsNow) {
            String uid = dir.getFileName().toString();
            if (!desired.contains(uid) && !running.containsKey(uid) && workers.state(uid).isEmpty()
                    && !podHasVolumes.test(uid)) {
                dirs.removeIfUnmounted(dir, "uid " + uid);
            }
        }
    }

    /** A pod object for what the runtime holds of a pod nobody wants, enough for the workers to kill it. */
    static Pod orphanPod(RuntimePod rp) {
        long grace = 30;
        for (Container c : rp.containers()) {
            grace = KubeAnnotations.ContainerInfo.from(c.getLabelsMap(), c.getAnnotationsMap())
                    .podTerminationGracePeriodSeconds();
            break;
        }
        return new PodBuilder()
                .withNewMetadata().withName(rp.name()).withNamespace(rp.namespace()).withUid(rp.uid()).endMetadata()
                .withNewSpec().withTerminationGracePeriodSeconds(grace).withContainers(List.of()).endSpec()
                .build();
    }
}
