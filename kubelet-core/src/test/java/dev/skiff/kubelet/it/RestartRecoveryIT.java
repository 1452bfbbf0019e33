package dev.skiff.kubelet.it;

import com.github.dockerjava.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kill -9 and a new start: the running pods are adopted from Docker's labels, nothing restarted or duplicated. */
class RestartRecoveryIT extends KubeletItSupport {

    @Test
    void killedKubeletAdoptsRunningPodsOnRestart() throws Exception {
        kubelet.writeManifest("steady.yaml", podYaml("steady", "",
                container("a", "sleep 3600"), container("b", "sleep 3600")));
        kubelet.writeManifest("other.yaml", podYaml("other", "", container("c", "sleep 3600")));
        Pod steady = awaitRunning("steady");
        Pod other = awaitRunning("other");

        Map<String, String> before = dockerState(uid(steady), uid(other));
        assertEquals(5, before.size(), "2 sandboxes + 3 containers expected: " + before);

        kubelet.kill9();
        // the pods outlive the kubelet
        assertEquals(before, dockerState(uid(steady), uid(other)), "containers changed while the kubelet was dead");

        kubelet.start();
        Pod steady2 = awaitRunning("steady");
        Pod other2 = awaitRunning("other");
        assertEquals(uid(steady), uid(steady2), "uid changed across a restart");
        assertEquals(uid(other), uid(other2), "uid changed across a restart");
        // let several relists and syncs pass before judging
        Thread.sleep(5_000);
        steady2 = kubelet.pod("steady").orElseThrow();
        other2 = kubelet.pod("other").orElseThrow();

        for (String c : List.of("a", "b")) {
            assertEquals(dockerId(steady, c), dockerId(steady2, c), "container " + c + " replaced");
            assertEquals(status(steady, c).getRestartCount(), status(steady2, c).getRestartCount(), c);
        }
        assertEquals(dockerId(other, "c"), dockerId(other2, "c"), "container c replaced");
        assertEquals(status(other, "c").getRestartCount(), status(other2, "c").getRestartCount());
        // Docker: exactly the same containers, same start times, all still running, none added
        assertEquals(before, dockerState(uid(steady), uid(other)), "Docker containers differ after the restart\n"
                + kubelet.logTail());
    }

    /** A manifest deleted while Skiff is down: the restarted kubelet finds the pod in Docker and tears it down. */
    @Test
    void podWhoseManifestWentWhileDownIsRemovedAfterRestart() throws Exception {
        kubelet.writeManifest("keep.yaml", podYaml("keep", "", container("k", "sleep 3600")));
        kubelet.writeManifest("gone.yaml", podYaml("gone", "", container("g", "sleep 3600")));
        Pod keep = awaitRunning("keep");
        Pod gone = awaitRunning("gone");
        Path goneDir = kubelet.rootDir().resolve("pods").resolve(uid(gone));
        assertTrue(Files.isDirectory(goneDir), goneDir.toString());

        kubelet.kill9();
        kubelet.deleteManifest("gone.yaml");
        kubelet.start();

        awaitNoContainers(uid(gone), Duration.ofSeconds(45));
        awaitTrue("pod dir of the deleted pod removed", Duration.ofSeconds(60), () -> !Files.exists(goneDir),
                kubelet::logTail);
        Pod keep2 = awaitRunning("keep");
        assertEquals(dockerId(keep, "k"), dockerId(keep2, "k"), "the other pod's container was replaced");
        assertTrue(kubelet.pod("gone").isEmpty(), "a deleted pod is still listed");
    }

    /** id → "name state startedAt" of every Docker container (any state) of the given pods. */
    private static Map<String, String> dockerState(String... podUids) {
        Map<String, String> out = new TreeMap<>();
        for (String uid : podUids) {
            for (Container c : PodDocker.all(uid)) {
                String startedAt = PodDocker.inspect(c.getId()).map(i -> i.getState().getStartedAt()).orElse("?");
                out.put(c.getId(), PodDocker.name(c) + " " + c.getState() + " " + startedAt);
            }
        }
        return out;
    }
}
