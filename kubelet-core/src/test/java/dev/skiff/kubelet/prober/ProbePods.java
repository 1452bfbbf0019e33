package dev.skiff.kubelet.prober;

import dev.skiff.kubelet.pod.ManifestException;
import dev.skiff.kubelet.pod.StaticPodLoader;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

/** Pods with probes through the real loader (defaulted and validated), and statuses as the kubelet reports them. */
final class ProbePods {
    private ProbePods() {
    }

    /** A pod "web" in namespace ns whose one container "app" has the given probe lines (indented 4 under it). */
    static Pod pod(String restartPolicy, String containerLines) {
        String yaml = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                  namespace: ns
                spec:
                  restartPolicy: %s
                  containers:
                  - name: app
                    image: busybox
                    ports:
                    - name: http
                      containerPort: 8080
                """.formatted(restartPolicy) + containerLines.indent(4);
        try {
            return new StaticPodLoader("node1").load(Path.of("/etc/kubernetes/manifests/web.yaml"),
                    yaml.getBytes(StandardCharsets.UTF_8)).pod().orElseThrow();
        } catch (ManifestException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    static PodStatus running(String id, Instant startedAt, boolean started) {
        return status("Running", new ContainerStatusBuilder().withName("app").withContainerID("docker://" + id)
                .withStarted(started)
                .withState(new ContainerStateBuilder().withNewRunning(startedAt.toString()).build()).build());
    }

    static PodStatus exited(String id, String phase) {
        return status(phase, new ContainerStatusBuilder().withName("app").withContainerID("docker://" + id)
                .withStarted(false)
                .withState(new ContainerStateBuilder().withNewTerminated().withExitCode(1).endTerminated().build())
                .build());
    }

    static PodStatus status(String phase, ContainerStatus c) {
        return new PodStatusBuilder().withPhase(phase).withPodIP("127.0.0.1").withContainerStatuses(c).build();
    }
}
