package dev.skiff.kubelet.status;

import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.ImageSpec;
import dev.skiff.cri.v1.PodSandboxMetadata;
import dev.skiff.cri.v1.PodSandboxNetworkStatus;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.PodSandboxStatus;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import io.fabric8.kubernetes.api.model.PodBuilder;

import java.time.Instant;

/** Hand-made CRI statuses and pods for status tests. */
final class CriFixtures {
    static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

    private CriFixtures() {
    }

    static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    static ContainerStatus running(String id, String name, int restartCount, Instant created) {
        return base(id, name, restartCount, created).setState(ContainerState.CONTAINER_RUNNING)
                .setStartedAt(nanos(created.plusSeconds(1))).build();
    }

    static ContainerStatus exited(String id, String name, int restartCount, Instant created, int exitCode, String reason) {
        return base(id, name, restartCount, created).setState(ContainerState.CONTAINER_EXITED)
                .setStartedAt(nanos(created.plusSeconds(1))).setFinishedAt(nanos(created.plusSeconds(5)))
                .setExitCode(exitCode).setReason(reason).build();
    }

    static ContainerStatus created(String id, String name, Instant created) {
        return base(id, name, 0, created).setState(ContainerState.CONTAINER_CREATED).build();
    }

    static ContainerStatus.Builder base(String id, String name, int restartCount, Instant created) {
        return ContainerStatus.newBuilder().setId(id)
                .setMetadata(ContainerMetadata.newBuilder().setName(name).setAttempt(restartCount))
                .setCreatedAt(nanos(created))
                .setImage(ImageSpec.newBuilder().setImage("busybox:1.36"))
                .setImageRef("sha256:1111")
                .putLabels(KubeAnnotations.CONTAINER_NAME, name)
                .putLabels(KubeAnnotations.POD_UID, "uid-1")
                .putAnnotations(KubeAnnotations.CONTAINER_RESTART_COUNT, Integer.toString(restartCount));
    }

    static PodSandboxStatus sandbox(String ip, PodSandboxState state) {
        return PodSandboxStatus.newBuilder().setId("sb1").setState(state)
                .setMetadata(PodSandboxMetadata.newBuilder().setName("web").setNamespace("default").setUid("uid-1"))
                .setNetwork(PodSandboxNetworkStatus.newBuilder().setIp(ip)).build();
    }

    static PodBuilder pod(String restartPolicy, String... containers) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName("web-node-a").withNamespace("default").withUid("uid-1")
                .endMetadata().withNewSpec().withRestartPolicy(restartPolicy).endSpec();
        for (String c : containers) {
            b.editSpec().addNewContainer().withName(c).withImage("busybox:1.36").endContainer().endSpec();
        }
        return b;
    }
}
