package dev.skiff.kubelet.it;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A manifest dropped, edited and deleted: the pod follows the file, as Docker sees it. */
class StaticPodLifecycleIT extends KubeletItSupport {

    private String webYaml(String bSleep) {
        return podYaml("web", "", container("a", "sleep 3600"), container("b", "sleep " + bSleep));
    }

    @Test
    void droppedManifestRunsWithUpstreamNamesAndLabels() throws Exception {
        kubelet.writeManifest("web.yaml", webYaml("3600"));
        Pod p = awaitRunning("web");
        String podName = kubelet.podName("web");
        String uid = uid(p);
        assertEquals(ns, p.getMetadata().getNamespace());
        assertEquals(kubelet.nodeName(), p.getSpec().getNodeName());

        List<Container> sandboxes = PodDocker.sandboxes(uid);
        assertEquals(1, sandboxes.size(), describe(PodDocker.all(uid)));
        Container sandbox = sandboxes.get(0);
        assertTrue(PodDocker.isRunning(sandbox), describe(sandboxes));
        assertEquals("k8s_POD_" + podName + "_" + ns + "_" + uid + "_0", PodDocker.name(sandbox));
        assertLabels(sandbox, podName, uid, "podsandbox");

        List<Container> containers = PodDocker.containers(uid);
        assertEquals(2, containers.size(), describe(PodDocker.all(uid)));
        for (String c : List.of("a", "b")) {
            Container dc = runningContainer(uid, c);
            assertEquals("k8s_" + c + "_" + podName + "_" + ns + "_" + uid + "_0", PodDocker.name(dc));
            assertLabels(dc, podName, uid, "container");
            assertEquals(c, dc.getLabels().get(PodDocker.LABEL_CONTAINER_NAME));
            assertEquals(dc.getId(), dockerId(p, c), "status containerID of " + c + " is not the Docker container");
            InspectContainerResponse inspect = PodDocker.inspect(dc.getId()).orElseThrow();
            assertEquals("container:" + sandbox.getId(), inspect.getHostConfig().getNetworkMode(),
                    "container " + c + " does not join the sandbox's network");
            assertEquals(0, status(p, c).getRestartCount());
        }
        // the pod's hostname is its name, seen from inside
        assertEquals(podName, PodDocker.sh(dockerId(p, "a"), "hostname"));
        assertTrue(Files.isRegularFile(kubelet.rootDir().resolve("pods").resolve(uid).resolve("etc-hosts")),
                "no etc-hosts under --root-dir for pod " + uid);
    }

    @Test
    void editedManifestReplacesTheContainers() throws Exception {
        kubelet.writeManifest("web.yaml", webYaml("3600"));
        Pod before = awaitRunning("web");
        String oldUid = uid(before);
        Set<String> oldIds = PodDocker.runningIds(oldUid);
        assertEquals(3, oldIds.size(), describe(PodDocker.all(oldUid)));

        kubelet.writeManifest("web.yaml", webYaml("3601"));
        Pod after = kubelet.awaitPod("web", p -> !oldUid.equals(uid(p)) && allRunning(p), RUNNING_TIMEOUT,
                "replaced by the edited version and Running");
        String newUid = uid(after);
        assertEquals(kubelet.podName("web"), after.getMetadata().getName());

        Set<String> newIds = PodDocker.runningIds(newUid);
        assertEquals(3, newIds.size(), describe(PodDocker.all(newUid)));
        for (String c : List.of("a", "b")) {
            String id = dockerId(after, c);
            assertTrue(newIds.contains(id), "status id of " + c + " not running in Docker: " + describe(PodDocker.all(newUid)));
            assertFalse(oldIds.contains(id), "container " + c + " was not replaced");
        }
        // the new spec runs: b sleeps 3601 now
        String ps = PodDocker.sh(dockerId(after, "b"), "ps");
        assertTrue(ps.contains("sleep 3601"), ps);

        // the old pod: gone from /pods, none of its containers running any more
        awaitNothingRunning(oldUid, Duration.ofSeconds(60));
        for (String id : oldIds) {
            PodDocker.inspect(id).ifPresent(i -> assertFalse(Boolean.TRUE.equals(i.getState().getRunning()), id));
        }
        assertTrue(kubelet.pods().getItems().stream().noneMatch(p -> oldUid.equals(uid(p))),
                "old version still listed: " + kubelet.toJson(kubelet.pods()));
    }

    @Test
    void deletedManifestRemovesEverything() throws Exception {
        kubelet.writeManifest("web.yaml", webYaml("3600"));
        Pod p = awaitRunning("web");
        String uid = uid(p);
        Path podDir = kubelet.rootDir().resolve("pods").resolve(uid);
        assertTrue(Files.isDirectory(podDir), "no pod dir " + podDir);
        assertEquals(3, PodDocker.runningIds(uid).size(), describe(PodDocker.all(uid)));

        kubelet.deleteManifest("web.yaml");
        kubelet.awaitPodGone("web", Duration.ofSeconds(60));
        awaitNothingRunning(uid, Duration.ofSeconds(60));
        // removal of the dead containers and sandbox, and of the pod dir, may wait for housekeeping / GC
        awaitNoContainers(uid, Duration.ofSeconds(75));
        awaitTrue("pod dir " + podDir + " removed", Duration.ofSeconds(60), () -> !Files.exists(podDir),
                () -> podDir + " still exists");
        assertTrue(kubelet.pods().getItems().isEmpty(), kubelet.toJson(kubelet.pods()));
    }

    /**
     * While a removed pod waits out its grace period (its process ignores SIGTERM), it is listed as the API server
     * lists a pod being deleted: deletionTimestamp at the end of the grace period, deletionGracePeriodSeconds, and
     * Terminating in {@code skiff pods}; then it goes.
     */
    @Test
    void aRemovedPodIsTerminatingDuringItsGracePeriod() throws Exception {
        String yaml = podYaml("slow", "", container("stubborn", "trap '' TERM; while true; do sleep 1; done"))
                .replace("terminationGracePeriodSeconds: 2", "terminationGracePeriodSeconds: 20");
        kubelet.writeManifest("slow.yaml", yaml);
        String uid = uid(awaitRunning("slow"));
        java.time.Instant removed = java.time.Instant.now();
        kubelet.deleteManifest("slow.yaml");

        Pod terminating = kubelet.awaitPod("slow", p -> p.getMetadata().getDeletionTimestamp() != null,
                Duration.ofSeconds(15), "marked for deletion");
        assertEquals(uid, uid(terminating));
        assertEquals(20L, terminating.getMetadata().getDeletionGracePeriodSeconds());
        java.time.Instant deadline = java.time.Instant.parse(terminating.getMetadata().getDeletionTimestamp());
        assertTrue(!deadline.isBefore(removed.plusSeconds(19)) && deadline.isBefore(java.time.Instant.now().plusSeconds(21)),
                "deletionTimestamp " + deadline + " is not the end of the 20 s grace period from " + removed);
        assertTrue(PodDocker.runningIds(uid).size() >= 2, "the container should still run during its grace period: "
                + describe(PodDocker.all(uid)));

        String table = skiff("pods");
        assertTrue(table.lines().anyMatch(l -> l.startsWith(kubelet.podName("slow") + " ") && l.contains("Terminating")),
                "skiff pods should show the pod Terminating:\n" + table);

        kubelet.awaitPodGone("slow", Duration.ofSeconds(60));
        awaitNothingRunning(uid, Duration.ofSeconds(20));
    }

    private void assertLabels(Container c, String podName, String uid, String type) {
        Map<String, String> l = c.getLabels();
        assertEquals(podName, l.get(PodDocker.LABEL_POD_NAME), l.toString());
        assertEquals(ns, l.get(PodDocker.LABEL_POD_NAMESPACE), l.toString());
        assertEquals(uid, l.get(PodDocker.LABEL_POD_UID), l.toString());
        assertEquals(type, l.get(PodDocker.LABEL_DOCKER_TYPE), l.toString());
    }
}
