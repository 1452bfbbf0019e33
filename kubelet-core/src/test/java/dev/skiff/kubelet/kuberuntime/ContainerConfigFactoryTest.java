package dev.skiff.kubelet.kuberuntime;

import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.KeyValue;
import dev.skiff.cri.v1.Mount;
import dev.skiff.cri.v1.MountPropagation;
import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.SecurityProfile;
import dev.skiff.kubelet.pod.ContainerSpecHash;
import dev.skiff.kubelet.status.PodQos;
import dev.skiff.volume.VolumeObjects;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContainerConfigFactoryTest {
    @TempDir
    Path dir;
    private NodeFacts node;
    private final AtomicInteger ids = new AtomicInteger();

    private final VolumeObjects objects = new VolumeObjects() {
        @Override
        public Optional<ConfigMap> configMap(String namespace, String name) {
            return namespace.equals("ns") && name.equals("cfg")
                    ? Optional.of(new ConfigMapBuilder().withNewMetadata().withName("cfg").withNamespace("ns").endMetadata()
                    .withData(Map.of("color", "blue", "size", "L")).build())
                    : Optional.empty();
        }

        @Override
        public Optional<Secret> secret(String namespace, String name) {
            return namespace.equals("ns") && name.equals("sec")
                    ? Optional.of(new SecretBuilder().withNewMetadata().withName("sec").withNamespace("ns").endMetadata()
                    .withData(Map.of("password", Base64.getEncoder().encodeToString("s3cret".getBytes(StandardCharsets.UTF_8))))
                    .withStringData(Map.of("user", "admin")).build())
                    : Optional.empty();
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        node = TestPods.node(dir, null, List.of("10.96.0.10"));
        Files.writeString(node.nodeHostsFile(), "127.0.0.1 localhost\n10.0.0.5 node1\n");
    }

    private ContainerConfigFactory factory() {
        return new ContainerConfigFactory(node, objects, ContainerConfigFactory.SubPaths.joined(), () -> String.format("%08x", ids.incrementAndGet()));
    }

    private ContainerConfig config(Pod pod, int restartCount, List<String> podIps, Map<String, String> volumes) throws Exception {
        return factory().create(ContainerConfigFactory.Request.of(pod, pod.getSpec().getContainers().get(0), restartCount, podIps, volumes));
    }

    private ContainerConfig config(Pod pod) throws Exception {
        return config(pod, 0, List.of("172.17.0.2"), Map.of());
    }

    private static Map<String, String> envs(ContainerConfig c) {
        Map<String, String> m = new LinkedHashMap<>();
        for (KeyValue kv : c.getEnvsList()) {
            m.put(kv.getKey(), kv.getValue());
        }
        return m;
    }

    private static Pod one(String container) {
        return TestPods.pod("containers:\n- name: app\n  image: busybox:1.36\n" + container.indent(2));
    }

    @Test
    void basics() throws Exception {
        Pod pod = one("""
                workingDir: /work
                stdin: true
                stdinOnce: true
                tty: true
                ports:
                - containerPort: 80
                """);
        Container c = pod.getSpec().getContainers().get(0);
        ContainerConfig cfg = config(pod, 4, List.of("172.17.0.2"), Map.of());
        assertEquals("app", cfg.getMetadata().getName());
        assertEquals(4, cfg.getMetadata().getAttempt());
        assertEquals("busybox:1.36", cfg.getImage().getImage());
        assertEquals("busybox:1.36", cfg.getImage().getUserSpecifiedImage());
        assertEquals("/work", cfg.getWorkingDir());
        assertEquals("app/4.log", cfg.getLogPath());
        assertTrue(cfg.getStdin() && cfg.getStdinOnce() && cfg.getTty());
        assertEquals(Map.of(KubeAnnotations.POD_NAME, "web-node1", KubeAnnotations.POD_NAMESPACE, "ns",
                KubeAnnotations.POD_UID, pod.getMetadata().getUid(), KubeAnnotations.CONTAINER_NAME, "app"), cfg.getLabelsMap());
        var a = cfg.getAnnotationsMap();
        assertEquals(ContainerSpecHash.of(c), a.get(KubeAnnotations.CONTAINER_HASH));
        assertEquals("4", a.get(KubeAnnotations.CONTAINER_RESTART_COUNT));
        assertEquals("/dev/termination-log", a.get(KubeAnnotations.CONTAINER_TERMINATION_MESSAGE_PATH));
        assertEquals("File", a.get(KubeAnnotations.CONTAINER_TERMINATION_MESSAGE_POLICY));
        assertEquals("30", a.get(KubeAnnotations.POD_TERMINATION_GRACE_PERIOD));
        assertEquals("[{\"containerPort\":80,\"protocol\":\"TCP\"}]", a.get(KubeAnnotations.CONTAINER_PORTS));
        var info = KubeAnnotations.ContainerInfo.from(cfg.getLabelsMap(), cfg.getAnnotationsMap());
        assertEquals(4, info.restartCount());
        assertEquals(ContainerSpecHash.of(c), info.hash());

        var withRef = factory().create(new ContainerConfigFactory.Request(pod, c, 0, "sha256:abc", List.of(), Map.of(),
                Optional.empty(), ""));
        assertEquals("sha256:abc", withRef.getImage().getImage());
        assertEquals("busybox:1.36", withRef.getImage().getUserSpecifiedImage());
    }

    @Test
    void envExpansionOrderAndEscapes() throws Exception {
        Pod pod = one("""
                command: ["sh", "-c", "echo $(GREETING) $(LATER) $$(GREETING) $(NOPE)"]
                args: ["$(NAME)"]
                env:
                - name: NAME
                  value: world
                - name: EARLY
                  value: "$(LATER)-x"
                - name: GREETING
                  value: "hello $(NAME)"
                - name: ESCAPED
                  value: "$$(NAME) $(UNKNOWN)"
                - name: LATER
                  value: late
                - name: EMPTY
                  value: ""
                - name: NAME
                  value: again
                """);
        ContainerConfig cfg = config(pod);
        Map<String, String> env = envs(cfg);
        assertEquals(List.of("NAME", "EARLY", "GREETING", "ESCAPED", "LATER", "EMPTY"), List.copyOf(env.keySet()));
        assertEquals("again", env.get("NAME"));
        assertEquals("$(LATER)-x", env.get("EARLY"), "only earlier variables expand");
        assertEquals("hello world", env.get("GREETING"));
        assertEquals("$(NAME) $(UNKNOWN)", env.get("ESCAPED"));
        assertEquals("", env.get("EMPTY"));
        // command and args expand against the final environment
        assertEquals(List.of("sh", "-c", "echo hello world late $(GREETING) $(NOPE)"), cfg.getCommandList());
        assertEquals(List.of("again"), cfg.getArgsList());
    }

    @Test
    void fieldRefs() throws Exception {
        Pod pod = one("""
                env:
                - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                - {name: POD_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
                - {name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
                - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
                - {name: NOTE, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['note']"}}}
                - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
                - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
                - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
                - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                - {name: POD_IPS, valueFrom: {fieldRef: {fieldPath: status.podIPs}}}
                - {name: LABELS, valueFrom: {fieldRef: {fieldPath: metadata.labels}}}
                - {name: NOT_EXPANDED, value: "$(POD_NAME)"}
                """);
        pod.getMetadata().getLabels().put("tier", "a\"b");
        pod.getSpec().setServiceAccountName("builder");
        Map<String, String> env = envs(config(pod, 0, List.of("172.17.0.2", "fd00::2"), Map.of()));
        assertEquals("web-node1", env.get("POD_NAME"));
        assertEquals("ns", env.get("POD_NS"));
        assertEquals(pod.getMetadata().getUid(), env.get("POD_UID"));
        assertEquals("web", env.get("APP"));
        assertEquals("hello", env.get("NOTE"));
        assertEquals("node1", env.get("NODE"));
        assertEquals("builder", env.get("SA"));
        assertEquals("10.0.0.5", env.get("HOST_IP"));
        assertEquals("172.17.0.2", env.get("POD_IP"));
        assertEquals("172.17.0.2,fd00::2", env.get("POD_IPS"));
        assertEquals("app=\"web\"\ntier=\"a\\\"b\"", env.get("LABELS"));
        assertEquals("web-node1", env.get("NOT_EXPANDED"));

        Pod bad = one("env:\n- {name: X, valueFrom: {fieldRef: {fieldPath: spec.bogus}}}\n");
        bad.getSpec().getContainers().get(0).getEnv().get(0).getValueFrom().getFieldRef().setFieldPath("spec.bogus");
        var e = assertThrows(CreateConfigException.class, () -> config(bad));
        assertTrue(e.getMessage().contains("unsupported fieldPath"), e.getMessage());
    }

    @Test
    void resourceFieldRefs() throws Exception {
        Pod pod = TestPods.pod("""
                containers:
                - name: app
                  image: busybox:1.36
                  resources:
                    requests: {cpu: 250m, memory: 64Mi}
                    limits: {cpu: 1500m, memory: 128Mi}
                  env:
                  - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
                  - {name: CPU_LIMIT_M, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
                  - {name: CPU_REQ, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}
                  - {name: MEM_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
                  - {name: MEM_LIMIT_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
                  - {name: MEM_REQ_K, valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1k}}}
                  - {name: SIDE_CPU, valueFrom: {resourceFieldRef: {containerName: side, resource: limits.cpu}}}
                  - {name: SIDE_MEM, valueFrom: {resourceFieldRef: {containerName: side, resource: limits.memory, divisor: 1Gi}}}
                - name: side
                  image: busybox:1.36
                """);
        Map<String, String> env = envs(config(pod));
        assertEquals("2", env.get("CPU_LIMIT"), "1.5 cores rounds up");
        assertEquals("1500", env.get("CPU_LIMIT_M"));
        assertEquals("1", env.get("CPU_REQ"));
        assertEquals(Long.toString(128L << 20), env.get("MEM_LIMIT"));
        assertEquals("128", env.get("MEM_LIMIT_MI"));
        assertEquals("67109", env.get("MEM_REQ_K"), "67108864 / 1000 rounded up");
        assertEquals("4", env.get("SIDE_CPU"), "no limit: node allocatable");
        assertEquals("8", env.get("SIDE_MEM"), "no limit: node capacity");
    }

    @Test
    void configMapAndSecretRefs() throws Exception {
        Pod pod = one("""
                envFrom:
                - configMapRef: {name: cfg}
                  prefix: CFG_
                - secretRef: {name: sec}
                - configMapRef: {name: absent, optional: true}
                env:
                - {name: COLOR, valueFrom: {configMapKeyRef: {name: cfg, key: color}}}
                - {name: PASSWORD, valueFrom: {secretKeyRef: {name: sec, key: password}}}
                - {name: MAYBE, valueFrom: {configMapKeyRef: {name: cfg, key: nokey, optional: true}}}
                - {name: MAYBE2, valueFrom: {secretKeyRef: {name: nosecret, key: k, optional: true}}}
                - {name: size, value: "$(CFG_size)!"}
                """);
        Map<String, String> env = envs(config(pod));
        assertEquals("blue", env.get("CFG_color"));
        assertEquals("L", env.get("CFG_size"));
        assertEquals("s3cret", env.get("password"));
        assertEquals("admin", env.get("user"));
        assertEquals("blue", env.get("COLOR"));
        assertEquals("s3cret", env.get("PASSWORD"));
        assertFalse(env.containsKey("MAYBE"));
        assertFalse(env.containsKey("MAYBE2"));
        assertEquals("L!", env.get("size"));

        var e = assertThrows(CreateConfigException.class, () -> config(one(
                "env:\n- {name: X, valueFrom: {configMapKeyRef: {name: cfg, key: nokey}}}\n")));
        assertEquals("couldn't find key nokey in ConfigMap ns/cfg", e.getMessage());
        e = assertThrows(CreateConfigException.class, () -> config(one(
                "env:\n- {name: X, valueFrom: {secretKeyRef: {name: missing, key: k}}}\n")));
        assertEquals("secret \"missing\" not found", e.getMessage());
        e = assertThrows(CreateConfigException.class, () -> config(one("envFrom:\n- configMapRef: {name: nope}\n")));
        assertEquals("configmap \"nope\" not found", e.getMessage());
    }

    @Test
    void volumeMountsEtcHostsAndTerminationLog() throws Exception {
        Pod pod = TestPods.pod("""
                hostname: h1
                subdomain: sub
                hostAliases:
                - ip: 127.0.0.1
                  hostnames: [foo.local, bar.local]
                volumes:
                - name: data
                  emptyDir: {}
                - name: conf
                  emptyDir: {}
                containers:
                - name: app
                  image: busybox:1.36
                  env:
                  - {name: SUB, value: inner}
                  volumeMounts:
                  - {name: data, mountPath: /data}
                  - {name: conf, mountPath: /conf, readOnly: true, mountPropagation: HostToContainer, subPath: a/b}
                  - {name: data, mountPath: /expr, subPathExpr: "x/$(SUB)"}
                """);
        Map<String, String> volumes = Map.of("data", "/vols/data", "conf", "/vols/conf");
        ContainerConfig cfg = config(pod, 0, List.of("172.17.0.2"), volumes);
        Path podDir = node.podDir(pod.getMetadata().getUid());
        List<Mount> mounts = cfg.getMountsList();
        assertEquals(5, mounts.size(), mounts.toString());
        assertEquals(Mount.newBuilder().setContainerPath("/data").setHostPath("/vols/data")
                .setPropagation(MountPropagation.PROPAGATION_PRIVATE).build(), mounts.get(0));
        assertEquals(Mount.newBuilder().setContainerPath("/conf").setHostPath("/vols/conf/a/b").setReadonly(true)
                .setPropagation(MountPropagation.PROPAGATION_HOST_TO_CONTAINER).build(), mounts.get(1));
        assertEquals("/vols/data/x/inner", mounts.get(2).getHostPath());
        assertEquals("/etc/hosts", mounts.get(3).getContainerPath());
        assertEquals(podDir.resolve("etc-hosts").toString(), mounts.get(3).getHostPath());
        assertFalse(mounts.get(3).getReadonly());
        assertEquals("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                        + "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
                        + "172.17.0.2\th1.sub.ns.svc.cluster.local\th1\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n",
                Files.readString(podDir.resolve("etc-hosts")));
        assertEquals("/dev/termination-log", mounts.get(4).getContainerPath());
        Path termination = podDir.resolve("containers/app/00000001");
        assertEquals(termination.toString(), mounts.get(4).getHostPath());
        assertTrue(Files.isRegularFile(termination));
        assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(termination)));

        // a restart gets a fresh termination file
        ContainerConfig again = config(pod, 1, List.of("172.17.0.2"), volumes);
        assertEquals(podDir.resolve("containers/app/00000002").toString(), again.getMounts(4).getHostPath());
    }

    @Test
    void etcHostsRules() throws Exception {
        // no pod IP yet: no /etc/hosts mount (upstream)
        Pod pod = one("");
        assertTrue(config(pod, 0, List.of(), Map.of()).getMountsList().stream().noneMatch(m -> m.getContainerPath().equals("/etc/hosts")));
        // the container mounts /etc/hosts itself
        Pod own = TestPods.pod("""
                volumes: [{name: h, emptyDir: {}}]
                containers:
                - name: app
                  image: busybox:1.36
                  volumeMounts: [{name: h, mountPath: /etc/hosts}]
                """);
        List<Mount> mounts = config(own, 0, List.of("172.17.0.2"), Map.of("h", "/my/hosts")).getMountsList();
        assertEquals(1, mounts.stream().filter(m -> m.getContainerPath().equals("/etc/hosts")).count());
        assertEquals("/my/hosts", mounts.get(0).getHostPath());
        // host network: the node's file with the header, plus aliases
        Pod hostNet = TestPods.pod("""
                hostNetwork: true
                hostAliases: [{ip: 10.1.1.1, hostnames: [db]}]
                containers:
                - name: app
                  image: busybox:1.36
                """);
        config(hostNet, 0, List.of("10.0.0.5"), Map.of());
        assertEquals("# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n10.0.0.5 node1\n"
                        + "\n# Entries added by HostAliases.\n10.1.1.1\tdb\n",
                Files.readString(node.podDir(hostNet.getMetadata().getUid()).resolve("etc-hosts")));
        // no terminationMessagePath: no termination mount
        Pod noTerm = one("");
        noTerm.getSpec().getContainers().get(0).setTerminationMessagePath("");
        assertEquals(List.of("/etc/hosts"), config(noTerm).getMountsList().stream().map(Mount::getContainerPath).toList());
    }

    @Test
    void badMountsRefused() throws Exception {
        String vols = "volumes: [{name: data, emptyDir: {}}]\ncontainers:\n- name: app\n  image: busybox:1.36\n";
        Pod missing = TestPods.pod(vols + "  volumeMounts: [{name: data, mountPath: /d}]\n");
        var e = assertThrows(CreateConfigException.class, () -> config(missing, 0, List.of(), Map.of()));
        assertEquals("cannot find volume \"data\" to mount into container \"app\"", e.getMessage());
        Pod up = TestPods.pod(vols + "  volumeMounts: [{name: data, mountPath: /d}]\n");
        up.getSpec().getContainers().get(0).getVolumeMounts().get(0).setSubPath("a/../../etc");
        assertThrows(CreateConfigException.class, () -> config(up, 0, List.of(), Map.of("data", "/v")));
        up.getSpec().getContainers().get(0).getVolumeMounts().get(0).setSubPath("/etc");
        assertThrows(CreateConfigException.class, () -> config(up, 0, List.of(), Map.of("data", "/v")));
        up.getSpec().getContainers().get(0).getVolumeMounts().get(0).setSubPath(null);
        up.getSpec().getContainers().get(0).getVolumeMounts().get(0).setSubPathExpr("$(NOPE)");
        e = assertThrows(CreateConfigException.class, () -> config(up, 0, List.of(), Map.of("data", "/v")));
        assertEquals("missing value for NOPE", e.getMessage());
        up.getSpec().getContainers().get(0).getVolumeMounts().get(0).setSubPathExpr(null);
        up.getSpec().getContainers().get(0).getVolumeMounts().get(0).setMountPropagation("Sideways");
        assertThrows(CreateConfigException.class, () -> config(up, 0, List.of(), Map.of("data", "/v")));
        up.getSpec().getContainers().get(0).getVolumeMounts().get(0).setMountPropagation("Bidirectional");
        assertEquals(MountPropagation.PROPAGATION_BIDIRECTIONAL,
                config(up, 0, List.of(), Map.of("data", "/v")).getMounts(0).getPropagation());
    }

    @Test
    void blockVolumesBecomeDevicesAndOnlyThroughVolumeDevices() throws Exception {
        String head = "volumes: [{name: disk, persistentVolumeClaim: {claimName: c}}]\ncontainers:\n- name: app\n  image: busybox:1.36\n";
        Map<String, dev.skiff.volume.MountedVolume> block = Map.of("disk",
                new dev.skiff.volume.MountedVolume("disk", java.nio.file.Path.of("/dev/loop7"), false, true));
        Pod devices = TestPods.pod(head + "  volumeDevices: [{name: disk, devicePath: /dev/xvda}]\n");
        ContainerConfig cfg = factory().create(new ContainerConfigFactory.Request(devices,
                devices.getSpec().getContainers().get(0), 0, null, List.of(), block, java.util.Optional.empty(), ""));
        assertEquals(1, cfg.getDevicesCount());
        assertEquals("/dev/xvda", cfg.getDevices(0).getContainerPath());
        assertEquals("/dev/loop7", cfg.getDevices(0).getHostPath());
        assertEquals("mrw", cfg.getDevices(0).getPermissions());

        Pod mounted = TestPods.pod(head + "  volumeMounts: [{name: disk, mountPath: /d}]\n");
        var e = assertThrows(CreateConfigException.class, () -> factory().create(new ContainerConfigFactory.Request(mounted,
                mounted.getSpec().getContainers().get(0), 0, null, List.of(), block, java.util.Optional.empty(), "")));
        assertTrue(e.getMessage().contains("is a Block volume"), e.getMessage());
        e = assertThrows(CreateConfigException.class, () -> config(devices, 0, List.of(), Map.of("disk", "/v")));
        assertEquals("cannot find volume \"disk\" to pass into container \"app\": it is not a Block volume", e.getMessage());
    }

    @Test
    void resourcesAndOomScore() throws Exception {
        var guaranteed = config(one("resources: {limits: {cpu: 500m, memory: 256Mi}}\n")).getLinux().getResources();
        assertEquals(512, guaranteed.getCpuShares(), "request defaulted from the limit");
        assertEquals(50000, guaranteed.getCpuQuota());
        assertEquals(100000, guaranteed.getCpuPeriod());
        assertEquals(256L << 20, guaranteed.getMemoryLimitInBytes());
        assertEquals(-997, guaranteed.getOomScoreAdj());

        var bestEffort = config(one("")).getLinux().getResources();
        assertEquals(2, bestEffort.getCpuShares());
        assertEquals(0, bestEffort.getCpuQuota());
        assertEquals(0, bestEffort.getMemoryLimitInBytes());
        assertEquals(1000, bestEffort.getOomScoreAdj());

        // 1 GiB of 8 GiB requested: 1000 - 125 = 875
        var burstable = config(one("resources: {requests: {cpu: 1m, memory: 1Gi}, limits: {cpu: 2}}\n")).getLinux().getResources();
        assertEquals(2, burstable.getCpuShares(), "1m → 1 share → min 2");
        assertEquals(200000, burstable.getCpuQuota());
        assertEquals(875, burstable.getOomScoreAdj());
        assertEquals(999, config(one("resources: {requests: {cpu: 100m}}\n")).getLinux().getResources().getOomScoreAdj());
        assertEquals(3, config(one("resources: {requests: {memory: 8Gi}}\n")).getLinux().getResources().getOomScoreAdj());

        Pod critical = one("resources: {requests: {cpu: 100m}}\n");
        critical.getSpec().setPriorityClassName("system-node-critical");
        assertEquals(-997, config(critical).getLinux().getResources().getOomScoreAdj());

        assertEquals(1000, LinuxResources.milliCpuToQuota(1, 100000), "quota at least 1 ms");
        assertEquals(262144, LinuxResources.milliCpuToShares(1_000_000));
        assertEquals(PodQos.BURSTABLE, PodQos.of(one("resources: {requests: {cpu: 100m}}\n")));
        assertEquals(PodQos.GUARANTEED, PodQos.of(one("resources: {requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 1000m, memory: 1Gi}}\n")));
        assertEquals(PodQos.BURSTABLE, PodQos.of(one("resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: 1, memory: 1Gi}}\n")));
    }

    @Test
    void securityContext() throws Exception {
        Pod pod = TestPods.pod("""
                hostPID: true
                securityContext:
                  runAsUser: 1000
                  runAsGroup: 3000
                  fsGroup: 2000
                  supplementalGroups: [4000]
                containers:
                - name: app
                  image: busybox:1.36
                  securityContext:
                    runAsUser: 1001
                    readOnlyRootFilesystem: true
                    allowPrivilegeEscalation: false
                    capabilities: {add: [NET_ADMIN], drop: [ALL]}
                    seccompProfile: {type: RuntimeDefault}
                """);
        var sc = config(pod).getLinux().getSecurityContext();
        assertEquals(1001, sc.getRunAsUser().getValue());
        assertEquals(3000, sc.getRunAsGroup().getValue());
        assertEquals(List.of(2000L, 4000L), sc.getSupplementalGroupsList());
        assertTrue(sc.getReadonlyRootfs());
        assertTrue(sc.getNoNewPrivs());
        assertFalse(sc.getPrivileged());
        assertEquals(List.of("NET_ADMIN"), sc.getCapabilities().getAddCapabilitiesList());
        assertEquals(List.of("ALL"), sc.getCapabilities().getDropCapabilitiesList());
        assertEquals(SecurityProfile.ProfileType.RuntimeDefault, sc.getSeccomp().getProfileType());
        assertEquals(NamespaceMode.NODE, sc.getNamespaceOptions().getPid());
        assertEquals(NamespaceMode.POD, sc.getNamespaceOptions().getNetwork());

        var plain = config(one("securityContext: {privileged: true}\n")).getLinux().getSecurityContext();
        assertTrue(plain.getPrivileged());
        assertFalse(plain.getNoNewPrivs(), "unset allowPrivilegeEscalation does not set no_new_privs");
        assertFalse(plain.hasRunAsUser());
        assertEquals(SecurityProfile.ProfileType.Unconfined, plain.getSeccomp().getProfileType());
    }

    @Test
    void runAsNonRoot() throws Exception {
        Pod root = one("securityContext: {runAsNonRoot: true, runAsUser: 0}\n");
        var e = assertThrows(CreateConfigException.class, () -> config(root));
        assertTrue(e.getMessage().startsWith("container's runAsUser breaks non-root policy"), e.getMessage());

        Pod nonRoot = one("securityContext: {runAsNonRoot: true}\n");
        Container c = nonRoot.getSpec().getContainers().get(0);
        e = assertThrows(CreateConfigException.class, () -> factory().create(new ContainerConfigFactory.Request(
                nonRoot, c, 0, null, List.of(), Map.of(), Optional.of(0L), "")));
        assertTrue(e.getMessage().startsWith("container has runAsNonRoot and image will run as root"), e.getMessage());
        e = assertThrows(CreateConfigException.class, () -> factory().create(new ContainerConfigFactory.Request(
                nonRoot, c, 0, null, List.of(), Map.of(), Optional.empty(), "nobody")));
        assertTrue(e.getMessage().contains("non-numeric user (nobody)"), e.getMessage());
        var ok = factory().create(new ContainerConfigFactory.Request(nonRoot, c, 0, null, List.of(), Map.of(),
                Optional.of(65534L), "")).getLinux().getSecurityContext();
        assertEquals(65534, ok.getRunAsUser().getValue());
    }
}
