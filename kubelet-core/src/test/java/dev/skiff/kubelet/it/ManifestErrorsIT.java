package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Broken manifest files: reported by {@code /manifests/errors} with file and line, never disturbing the good pods;
 * a pod whose file turns invalid keeps running its last valid version.
 */
class ManifestErrorsIT extends KubeletItSupport {

    @Override
    String[] kubeletArgs() {
        // several full rescans of the directory happen during the "keeps running" window
        return new String[] {"--file-check-frequency", "2s"};
    }

    /** Tab indentation on line 4: a YAML syntax error with a known line. */
    private String brokenYaml() {
        return "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: broken\n  namespace: " + ns + "\nspec:\n  containers: []\n";
    }

    @Test
    void brokenFileBesideGoodOnes() throws Exception {
        kubelet.writeManifest("good-a.yaml", podYaml("good-a", "", container("a", "sleep 3600")));
        kubelet.writeManifest("broken.yaml", brokenYaml());
        kubelet.writeManifest("good-b.yaml", podYaml("good-b", "", container("b", "sleep 3600")));

        Pod a = awaitRunning("good-a");
        Pod b = awaitRunning("good-b");
        assertEquals(2, PodDocker.runningIds(uid(a)).size(), describe(PodDocker.all(uid(a))));
        assertEquals(2, PodDocker.runningIds(uid(b)).size(), describe(PodDocker.all(uid(b))));

        SkiffKubelet.ManifestErrorView err = awaitError("broken.yaml");
        assertEquals(4, err.line(), err.toString());
        assertTrue(err.reason().contains("TAB"), err.toString());
        assertEquals(1, kubelet.manifestErrors().size(), kubelet.manifestErrors().toString());
        assertEquals(2, kubelet.pods().getItems().size(), kubelet.toJson(kubelet.pods()));
        assertTrue(kubelet.log().contains("broken.yaml"), "the broken file is not named in the log");
    }

    @Test
    void podWhoseFileTurnsInvalidKeepsItsLastValidVersion() throws Exception {
        kubelet.writeManifest("keep.yaml", podYaml("keep", "", container("a", "sleep 3600")));
        Pod before = awaitRunning("keep");
        String uid = uid(before);
        Set<String> ids = PodDocker.runningIds(uid);
        assertEquals(2, ids.size(), describe(PodDocker.all(uid)));

        // invalid: containers is no list (line 9 of this text)
        String invalid = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: keep\n  namespace: " + ns
                + "\nspec:\n  terminationGracePeriodSeconds: 2\n  restartPolicy: Always\n  containers: 5\n";
        kubelet.writeManifest("keep.yaml", invalid);
        SkiffKubelet.ManifestErrorView err = awaitError("keep.yaml");
        assertEquals(9, err.line(), err.toString());

        // over several rescans: the same pod, the same containers, all running
        Thread.sleep(6_000);
        Pod still = kubelet.pod("keep").orElseThrow(() -> new AssertionError("pod dropped with its invalid file\n"
                + kubelet.logTail()));
        assertEquals(uid, uid(still));
        assertTrue(allRunning(still), kubelet.toJson(still.getStatus()));
        assertEquals(ids, PodDocker.runningIds(uid), describe(PodDocker.all(uid)));
        assertEquals(ids.size(), PodDocker.all(uid).size(), "containers were restarted: " + describe(PodDocker.all(uid)));

        // a valid version again: the error clears and the new version replaces the old
        kubelet.writeManifest("keep.yaml", podYaml("keep", "", container("a", "sleep 3601")));
        Pod next = kubelet.awaitPod("keep", p -> !uid.equals(uid(p)) && allRunning(p), RUNNING_TIMEOUT,
                "the fixed version Running");
        assertTrue(PodDocker.sh(dockerId(next, "a"), "ps").contains("sleep 3601"));
        await("error for keep.yaml cleared", Duration.ofSeconds(60),
                () -> kubelet.manifestErrors().isEmpty() ? Optional.of(true) : Optional.empty(),
                () -> kubelet.manifestErrors().toString());
        awaitNothingRunning(uid, Duration.ofSeconds(60));
    }

    private SkiffKubelet.ManifestErrorView awaitError(String fileName) throws InterruptedException {
        Path expected = kubelet.manifestDir().resolve(fileName);
        return await("/manifests/errors lists " + expected, Duration.ofSeconds(60),
                () -> kubelet.manifestErrors().stream()
                        .filter(e -> e.file() != null && Path.of(e.file()).toAbsolutePath().equals(expected))
                        .findFirst(),
                () -> kubelet.manifestErrors().toString());
    }
}
