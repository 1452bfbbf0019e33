package dev.skiff.kubelet.kuberuntime;

import dev.skiff.kubelet.pod.ContainerSpecHash;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class KubeAnnotationsTest {
    private final Pod pod = TestPods.pod("""
            terminationGracePeriodSeconds: 45
            containers:
            - name: app
              image: busybox:1.36
              ports:
              - name: http
                containerPort: 8080
                hostPort: 18080
              - containerPort: 53
                protocol: UDP
              lifecycle:
                preStop:
                  exec:
                    command: ["sh", "-c", "sleep 1"]
            - name: side
              image: busybox:1.36
            """);

    @Test
    void containerInfoRoundTrips() {
        Container c = pod.getSpec().getContainers().get(0);
        Map<String, String> labels = KubeAnnotations.containerLabels(c, pod);
        Map<String, String> annotations = KubeAnnotations.containerAnnotations(c, pod, 3);
        var info = KubeAnnotations.ContainerInfo.from(labels, annotations);
        assertEquals(new KubeAnnotations.ContainerInfo("app", ContainerSpecHash.of(c), 3, "/dev/termination-log", "File", 45), info);
        assertEquals("web-node1", labels.get(KubeAnnotations.POD_NAME));
        assertEquals("ns", labels.get(KubeAnnotations.POD_NAMESPACE));
        assertEquals(pod.getMetadata().getUid(), labels.get(KubeAnnotations.POD_UID));
        assertFalse(labels.containsKey("app"), "container labels do not carry the pod's labels (upstream)");
    }

    @Test
    void missingValuesReadAsDefaults() {
        assertEquals(new KubeAnnotations.ContainerInfo("", "", 0, "", "", 30), KubeAnnotations.ContainerInfo.from(Map.of(), Map.of()));
        assertEquals(new KubeAnnotations.ContainerInfo("", "", 0, "", "", 30), KubeAnnotations.ContainerInfo.from(null, null));
        var bad = KubeAnnotations.ContainerInfo.from(Map.of(), Map.of(KubeAnnotations.CONTAINER_RESTART_COUNT, "x",
                KubeAnnotations.POD_TERMINATION_GRACE_PERIOD, "7"));
        assertEquals(0, bad.restartCount());
        assertEquals(7, bad.podTerminationGracePeriodSeconds());
    }

    @Test
    void portsAndPreStopAreGoJson() {
        Container c = pod.getSpec().getContainers().get(0);
        var a = KubeAnnotations.containerAnnotations(c, pod, 0);
        assertEquals("[{\"name\":\"http\",\"hostPort\":18080,\"containerPort\":8080,\"protocol\":\"TCP\"},"
                + "{\"containerPort\":53,\"protocol\":\"UDP\"}]", a.get(KubeAnnotations.CONTAINER_PORTS));
        assertEquals("{\"exec\":{\"command\":[\"sh\",\"-c\",\"sleep 1\"]}}", a.get(KubeAnnotations.CONTAINER_PRESTOP_HANDLER));
        var side = KubeAnnotations.containerAnnotations(pod.getSpec().getContainers().get(1), pod, 0);
        assertFalse(side.containsKey(KubeAnnotations.CONTAINER_PORTS));
        assertFalse(side.containsKey(KubeAnnotations.CONTAINER_PRESTOP_HANDLER));
    }

    @Test
    void sandboxLabelsCarryPodLabelsAndIdentity() {
        var labels = KubeAnnotations.podLabels(pod);
        assertEquals("web", labels.get("app"));
        var info = KubeAnnotations.SandboxInfo.from(labels);
        assertEquals(new KubeAnnotations.SandboxInfo("web-node1", "ns", pod.getMetadata().getUid()), info);
        assertEquals("hello", KubeAnnotations.podAnnotations(pod).get("note"));
    }
}
