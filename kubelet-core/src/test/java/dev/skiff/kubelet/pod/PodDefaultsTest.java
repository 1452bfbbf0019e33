package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Defaults as upstream pkg/apis/core/v1/defaults.go applies them, seen through the loader. */
class PodDefaultsTest {
    private final StaticPodLoader loader = new StaticPodLoader("node1");

    private Pod load(String spec) throws ManifestException {
        String yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + spec;
        return loader.load(Path.of("/m/p.yaml"), yaml.getBytes(StandardCharsets.UTF_8)).pod().orElseThrow();
    }

    private Container only(String containerYaml) throws ManifestException {
        return load("  containers:\n  - name: c\n" + containerYaml).getSpec().getContainers().get(0);
    }

    @Test
    void podSpecDefaults() throws Exception {
        Pod p = load("  containers:\n  - {name: c, image: busybox:1.36}\n");
        assertEquals("Always", p.getSpec().getRestartPolicy());
        assertEquals("ClusterFirst", p.getSpec().getDnsPolicy());
        assertEquals(30L, p.getSpec().getTerminationGracePeriodSeconds());
        assertEquals("default-scheduler", p.getSpec().getSchedulerName());
        assertEquals(new PodSecurityContext(), p.getSpec().getSecurityContext());
        assertEquals(Boolean.TRUE, p.getSpec().getEnableServiceLinks());
        assertEquals(0, p.getSpec().getPriority());
    }

    @Test
    void explicitValuesAreKept() throws Exception {
        Pod p = load("""
                  restartPolicy: Never
                  dnsPolicy: Default
                  terminationGracePeriodSeconds: 5
                  schedulerName: mine
                  enableServiceLinks: false
                  priority: 7
                  containers:
                  - {name: c, image: busybox, imagePullPolicy: Never, terminationMessagePath: /t,
                     terminationMessagePolicy: FallbackToLogsOnError}
                """);
        assertEquals("Never", p.getSpec().getRestartPolicy());
        assertEquals("Default", p.getSpec().getDnsPolicy());
        assertEquals(5L, p.getSpec().getTerminationGracePeriodSeconds());
        assertEquals("mine", p.getSpec().getSchedulerName());
        assertEquals(Boolean.FALSE, p.getSpec().getEnableServiceLinks());
        assertEquals(7, p.getSpec().getPriority());
        Container c = p.getSpec().getContainers().get(0);
        assertEquals("Never", c.getImagePullPolicy());
        assertEquals("/t", c.getTerminationMessagePath());
        assertEquals("FallbackToLogsOnError", c.getTerminationMessagePolicy());
    }

    @Test
    void imagePullPolicyFollowsTheTag() throws Exception {
        assertEquals("Always", only("    image: busybox\n").getImagePullPolicy());
        assertEquals("Always", only("    image: busybox:latest\n").getImagePullPolicy());
        assertEquals("Always", only("    image: registry:5000/team/busybox\n").getImagePullPolicy());
        assertEquals("IfNotPresent", only("    image: registry:5000/team/busybox:1.36\n").getImagePullPolicy());
        assertEquals("IfNotPresent", only("    image: busybox:1.36\n").getImagePullPolicy());
        assertEquals("IfNotPresent", only("    image: busybox@sha256:" + "a".repeat(64) + "\n").getImagePullPolicy());
        assertEquals("Always", only("    image: busybox:latest@sha256:" + "a".repeat(64) + "\n")
                .getImagePullPolicy());
    }

    @Test
    void containerDefaults() throws Exception {
        Container c = only("    image: busybox:1.36\n");
        assertEquals("/dev/termination-log", c.getTerminationMessagePath());
        assertEquals("File", c.getTerminationMessagePolicy());
    }

    @Test
    void initContainersAreDefaultedToo() throws Exception {
        Pod p = load("  initContainers:\n  - {name: i, image: busybox}\n  containers:\n  - {name: c, image: busybox}\n");
        assertEquals("Always", p.getSpec().getInitContainers().get(0).getImagePullPolicy());
        assertEquals("File", p.getSpec().getInitContainers().get(0).getTerminationMessagePolicy());
    }

    @Test
    void portProtocolDefaultsToTcpAndHostPortOnlyWithHostNetwork() throws Exception {
        Container c = only("    image: b\n    ports:\n    - containerPort: 80\n    - {containerPort: 53, protocol: UDP}\n");
        assertEquals("TCP", c.getPorts().get(0).getProtocol());
        assertEquals("UDP", c.getPorts().get(1).getProtocol());
        assertNull(c.getPorts().get(0).getHostPort());

        Pod host = load("  hostNetwork: true\n  containers:\n  - name: c\n    image: b\n    ports:\n"
                + "    - containerPort: 80\n    - {containerPort: 81, hostPort: 9000}\n");
        assertEquals(80, host.getSpec().getContainers().get(0).getPorts().get(0).getHostPort());
        assertEquals(9000, host.getSpec().getContainers().get(0).getPorts().get(1).getHostPort());
    }

    @Test
    void probeDefaults() throws Exception {
        Container c = only("""
                    image: b
                    livenessProbe:
                      httpGet: {port: 8080}
                    readinessProbe:
                      exec: {command: ["true"]}
                      periodSeconds: 3
                    startupProbe:
                      httpGet: {port: http, path: /healthz, scheme: HTTPS}
                      failureThreshold: 30
                """);
        Probe l = c.getLivenessProbe();
        assertEquals(1, l.getTimeoutSeconds());
        assertEquals(10, l.getPeriodSeconds());
        assertEquals(1, l.getSuccessThreshold());
        assertEquals(3, l.getFailureThreshold());
        assertEquals("HTTP", l.getHttpGet().getScheme());
        assertEquals("/", l.getHttpGet().getPath()); // upstream SetDefaults_HTTPGetAction
        assertEquals(3, c.getReadinessProbe().getPeriodSeconds());
        assertEquals(30, c.getStartupProbe().getFailureThreshold());
        assertEquals("HTTPS", c.getStartupProbe().getHttpGet().getScheme());
        assertEquals("/healthz", c.getStartupProbe().getHttpGet().getPath());
    }

    @Test
    void lifecycleHttpGetDefaults() throws Exception {
        Container c = only("    image: b\n    lifecycle:\n      preStop:\n        httpGet: {port: 80}\n");
        assertEquals("HTTP", c.getLifecycle().getPreStop().getHttpGet().getScheme());
        assertEquals("/", c.getLifecycle().getPreStop().getHttpGet().getPath());
    }

    @Test
    void fieldRefApiVersionDefaultsToV1() throws Exception {
        Container c = only("""
                    image: b
                    env:
                    - name: POD
                      valueFrom:
                        fieldRef: {fieldPath: metadata.name}
                    - {name: PLAIN, value: x}
                """);
        assertEquals("v1", c.getEnv().get(0).getValueFrom().getFieldRef().getApiVersion());
        assertNull(c.getEnv().get(1).getValueFrom());
    }

    @Test
    void requestsDefaultToLimits() throws Exception {
        Container c = only("""
                    image: b
                    resources:
                      limits: {cpu: 500m, memory: 128Mi}
                      requests: {cpu: 100m}
                """);
        assertEquals(new Quantity("100m"), c.getResources().getRequests().get("cpu"));
        assertEquals(new Quantity("128Mi"), c.getResources().getRequests().get("memory"));
        Container none = only("    image: b\n");
        assertNull(none.getResources());
    }

    @Test
    void volumeDefaults() throws Exception {
        Pod p = load("""
                  containers: [{name: c, image: b}]
                  volumes:
                  - name: nothing
                  - name: cm
                    configMap: {name: conf}
                  - name: sec
                    secret: {secretName: s}
                  - name: sec2
                    secret: {secretName: s, defaultMode: 0400}
                  - name: host
                    hostPath: {path: /data}
                  - name: dapi
                    downwardAPI: {items: []}
                  - name: proj
                    projected:
                      sources:
                      - serviceAccountToken: {path: token}
                """);
        var v = p.getSpec().getVolumes();
        assertNotNull(v.get(0).getEmptyDir());
        assertEquals(0644, v.get(1).getConfigMap().getDefaultMode());
        assertEquals(0644, v.get(2).getSecret().getDefaultMode());
        assertEquals(0400, v.get(3).getSecret().getDefaultMode());
        assertEquals("", v.get(4).getHostPath().getType());
        assertNull(v.get(4).getEmptyDir());
        assertEquals(0644, v.get(5).getDownwardAPI().getDefaultMode());
        assertEquals(0644, v.get(6).getProjected().getDefaultMode());
        assertEquals(3600L, v.get(6).getProjected().getSources().get(0).getServiceAccountToken().getExpirationSeconds());
    }

    @Test
    void emptyDirHasNoDefaultMode() throws Exception {
        Volume v = load("  containers: [{name: c, image: b}]\n  volumes:\n  - name: e\n    emptyDir: {}\n")
                .getSpec().getVolumes().get(0);
        assertNotNull(v.getEmptyDir());
        assertNull(v.getEmptyDir().getMedium());
    }

    @Test
    void otherKindDefaults() throws Exception {
        String yaml = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nspec: {}\n";
        PersistentVolumeClaim pvc = (PersistentVolumeClaim) loader.load(Path.of("/m/c.yaml"),
                yaml.getBytes(StandardCharsets.UTF_8)).objects().get(0);
        assertEquals("Filesystem", pvc.getSpec().getVolumeMode());
        assertEquals("Pending", pvc.getStatus().getPhase());
    }

    @Test
    void imageReferenceTags() {
        assertEquals("latest", ImageReference.tag("busybox"));
        assertEquals("1.36", ImageReference.tag("docker.io/library/busybox:1.36"));
        assertEquals("latest", ImageReference.tag("localhost:5000/busybox"));
        assertEquals("", ImageReference.tag("busybox@sha256:abc"));
        assertEquals("v1", ImageReference.tag("localhost:5000/busybox:v1@sha256:abc"));
    }
}
