package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pods this node must not run: phase Failed with upstream's predicate reason and message (kubelet.go rejectPod:
 * "Pod was rejected: " + lifecycle/predicate.go's "Predicate NodeAffinity failed: …"), and
 * nothing in Docker. Each beside a matching pod that does run, so the check is not "nothing runs at all".
 */
class AdmissionIT extends KubeletItSupport {

    @Override
    String[] kubeletArgs() {
        return new String[] {"--node-labels", "disk=hdd,zone=a"};
    }

    @Test
    void nodeSelectorMismatchFailsWithNodeAffinity() throws Exception {
        kubelet.writeManifest("picky.yaml", podYaml("picky", "  nodeSelector:\n    disk: ssd\n",
                container("a", "sleep 3600")));
        kubelet.writeManifest("fits.yaml", podYaml("fits",
                "  nodeSelector:\n    disk: hdd\n    kubernetes.io/hostname: " + kubelet.nodeName() + "\n",
                container("a", "sleep 3600")));

        Pod rejected = kubelet.awaitPod("picky", p -> phase(p, "Failed"), RUNNING_TIMEOUT, "Failed");
        assertEquals("NodeAffinity", rejected.getStatus().getReason(), kubelet.toJson(rejected.getStatus()));
        assertEquals("Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector",
                rejected.getStatus().getMessage());
        awaitRunning("fits");
        assertNothingInDocker("picky", rejected);
    }

    @Test
    void nodeNameOfAnotherNodeFailsWithNodeName() throws Exception {
        kubelet.writeManifest("elsewhere.yaml", podYaml("elsewhere", "  nodeName: some-other-node\n",
                container("a", "sleep 3600")));
        kubelet.writeManifest("here.yaml", podYaml("here", "  nodeName: " + kubelet.nodeName() + "\n",
                container("a", "sleep 3600")));

        Pod rejected = kubelet.awaitPod("elsewhere", p -> phase(p, "Failed"), RUNNING_TIMEOUT, "Failed");
        assertEquals("NodeName", rejected.getStatus().getReason(), kubelet.toJson(rejected.getStatus()));
        assertEquals("Pod was rejected: Predicate NodeName failed: node(s) didn't match the requested node name",
                rejected.getStatus().getMessage());
        awaitRunning("here");
        assertNothingInDocker("elsewhere", rejected);
    }

    /** No sandbox, no container, and the pod stays Failed over a few seconds of syncs. */
    private void assertNothingInDocker(String manifestName, Pod rejected) throws InterruptedException {
        String uid = uid(rejected);
        Thread.sleep(2_000);
        assertEquals(0, PodDocker.all(uid).size(), "a rejected pod reached Docker: " + describe(PodDocker.all(uid)));
        Pod later = kubelet.awaitPod(manifestName, p -> true, Duration.ofSeconds(60), "listed");
        assertEquals("Failed", later.getStatus().getPhase(), kubelet.toJson(later.getStatus()));
    }
}
