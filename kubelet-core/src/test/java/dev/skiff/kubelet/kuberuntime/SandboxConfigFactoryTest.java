package dev.skiff.kubelet.kuberuntime;

import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.NamespaceOption;
import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.PortMapping;
import dev.skiff.cri.v1.Protocol;
import dev.skiff.cri.v1.SecurityProfile;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SandboxConfigFactoryTest {
    @TempDir
    Path dir;

    private static final String CONTAINERS = """
            containers:
            - name: app
              image: busybox:1.36
              ports:
              - name: http
                containerPort: 80
                hostPort: 8080
              - containerPort: 53
                protocol: UDP
              - containerPort: 9000
            - name: side
              image: busybox:1.36
              securityContext:
                privileged: true
            """;

    private PodSandboxConfig sandbox(String spec) throws Exception {
        Pod pod = TestPods.pod(spec + CONTAINERS);
        return new SandboxConfigFactory(TestPods.node(dir, null, List.of("10.96.0.10"))).create(pod, 2);
    }

    @Test
    void basics() throws Exception {
        Pod pod = TestPods.pod(CONTAINERS);
        PodSandboxConfig c = new SandboxConfigFactory(TestPods.node(dir, null, List.of("10.96.0.10"))).create(pod, 2);
        String uid = pod.getMetadata().getUid();
        assertEquals("web-node1", c.getMetadata().getName());
        assertEquals("ns", c.getMetadata().getNamespace());
        assertEquals(uid, c.getMetadata().getUid());
        assertEquals(2, c.getMetadata().getAttempt());
        assertEquals("web-node1", c.getHostname());
        assertEquals(dir.resolve("log/pods/ns_web-node1_" + uid).toString(), c.getLogDirectory());
        assertEquals("web", c.getLabelsMap().get("app"));
        assertEquals("web-node1", c.getLabelsMap().get(KubeAnnotations.POD_NAME));
        assertEquals("ns", c.getLabelsMap().get(KubeAnnotations.POD_NAMESPACE));
        assertEquals(uid, c.getLabelsMap().get(KubeAnnotations.POD_UID));
        assertEquals("hello", c.getAnnotationsMap().get("note"));
        assertEquals("file", c.getAnnotationsMap().get("kubernetes.io/config.source"));
        assertEquals(List.of("10.96.0.10"), c.getDnsConfig().getServersList());
        assertEquals(List.of(
                PortMapping.newBuilder().setContainerPort(80).setHostPort(8080).setProtocol(Protocol.TCP).build(),
                PortMapping.newBuilder().setContainerPort(53).setProtocol(Protocol.UDP).build(),
                PortMapping.newBuilder().setContainerPort(9000).setProtocol(Protocol.TCP).build()), c.getPortMappingsList());
        var sc = c.getLinux().getSecurityContext();
        assertTrue(sc.getPrivileged(), "a privileged container makes the sandbox privileged");
        assertEquals(SecurityProfile.ProfileType.RuntimeDefault, sc.getSeccomp().getProfileType());
        assertEquals("", c.getLinux().getCgroupParent());
    }

    @ParameterizedTest(name = "hostNetwork={0} hostPID={1} hostIPC={2} share={3}")
    @CsvSource({
            "false,false,false,false,POD,CONTAINER,POD",
            "true,false,false,false,NODE,CONTAINER,POD",
            "false,true,false,false,POD,NODE,POD",
            "false,false,true,false,POD,CONTAINER,NODE",
            "false,false,false,true,POD,POD,POD",
            "true,true,true,false,NODE,NODE,NODE",
            "true,false,true,true,NODE,POD,NODE",
            "false,true,false,true,POD,NODE,POD",
    })
    void namespaceOptions(boolean hostNetwork, boolean hostPid, boolean hostIpc, boolean share,
                          NamespaceMode network, NamespaceMode pid, NamespaceMode ipc) throws Exception {
        // hostPID with shareProcessNamespace is invalid for the API server; set the field after loading
        Pod pod = TestPods.pod("hostNetwork: " + hostNetwork + "\nhostPID: " + hostPid + "\nhostIPC: " + hostIpc
                + "\ncontainers:\n- name: app\n  image: busybox:1.36\n");
        pod.getSpec().setShareProcessNamespace(share);
        PodSandboxConfig c = new SandboxConfigFactory(TestPods.node(dir, null, List.of("10.96.0.10"))).create(pod, 0);
        NamespaceOption expected = NamespaceOption.newBuilder().setNetwork(network).setPid(pid).setIpc(ipc).build();
        assertEquals(expected, c.getLinux().getSecurityContext().getNamespaceOptions());
        assertEquals(expected, PodNamespaces.of(pod));
        assertEquals(hostNetwork ? "" : "web-node1", c.getHostname(), "a host-network pod keeps the node's hostname");
    }

    @Test
    void hostnameFromSpecTruncatedAndFqdn() throws Exception {
        assertEquals("myhost", sandbox("hostname: myhost\n").getHostname());
        assertEquals("myhost.sub.ns.svc.cluster.local",
                sandbox("hostname: myhost\nsubdomain: sub\nsetHostnameAsFQDN: true\n").getHostname());
        assertEquals("myhost", sandbox("hostname: myhost\nsubdomain: sub\n").getHostname());
        Pod pod = TestPods.pod(CONTAINERS);
        pod.getMetadata().setName("a".repeat(60) + "-.-bbbb");
        assertEquals("a".repeat(60), PodHostname.of(pod, "cluster.local").hostname());
        pod.getSpec().setHostname("Bad_Name");
        assertThrows(CreateConfigException.class, () -> PodHostname.of(pod, "cluster.local"));
    }

    @Test
    void securityContextSysctlsAndGroups() throws Exception {
        PodSandboxConfig c = sandbox("""
                securityContext:
                  runAsUser: 1000
                  runAsGroup: 3000
                  fsGroup: 2000
                  supplementalGroups: [4000, 5000]
                  sysctls:
                  - name: net.core.somaxconn
                    value: "1024"
                """);
        var sc = c.getLinux().getSecurityContext();
        assertEquals(1000, sc.getRunAsUser().getValue());
        assertEquals(3000, sc.getRunAsGroup().getValue());
        assertEquals(List.of(2000L, 4000L, 5000L), sc.getSupplementalGroupsList());
        assertEquals(Map.of("net.core.somaxconn", "1024"), c.getLinux().getSysctlsMap());
        assertFalse(sandbox("").getLinux().getSecurityContext().hasRunAsUser());
    }
}
