package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * runAsGroup without runAsUser, as upstream's kubelet and containerd treat it: a container's group
 * travels with its image's user (getImageUser; root for an image without USER), while a pod-level
 * group alone reaches the sandbox without a user, which the runtime must refuse (CRI spec).
 */
class ImageUserIT extends VolumeItSupport {

    @Test
    void containerGroupAloneRunsAsTheImagesUser() throws Exception {
        kubelet.writeManifest("grp.yaml", podYaml("grp", "",
                container("c", "sleep 3600") + "    securityContext: {runAsGroup: 3000}\n"));
        Pod p = awaitRunning("grp");
        assertEquals("0 3000", PodDocker.sh(dockerId(p, "c"), "echo $(id -u) $(id -g)").trim(),
                "busybox has no USER: root, with the container's group");
    }

    @Test
    void podGroupAloneFailsTheSandboxAsUpstream() throws Exception {
        kubelet.writeManifest("podgrp.yaml", podYaml("podgrp", "  securityContext: {runAsGroup: 3000}\n", container("c", "sleep 3600")));
        kubelet.awaitPod("podgrp", p -> p.getStatus() != null && p.getStatus().getContainerStatuses() != null
                        && p.getStatus().getContainerStatuses().stream().anyMatch(s -> s.getState() != null
                        && s.getState().getWaiting() != null && String.valueOf(s.getState().getWaiting().getMessage())
                        .contains("run_as_group 3000 without run_as_user")),
                Duration.ofSeconds(90), "waiting on the refused sandbox");
    }
}
