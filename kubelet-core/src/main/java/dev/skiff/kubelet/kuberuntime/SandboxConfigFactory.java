package dev.skiff.kubelet.kuberuntime;

import dev.skiff.cri.v1.LinuxPodSandboxConfig;
import dev.skiff.cri.v1.LinuxSandboxSecurityContext;
import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.PodSandboxMetadata;
import dev.skiff.cri.v1.PortMapping;
import dev.skiff.cri.v1.Protocol;
import dev.skiff.cri.v1.Int64Value;
import dev.skiff.cri.v1.SecurityProfile;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Sysctl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Pod → CRI PodSandboxConfig (upstream kuberuntime_sandbox.go generatePodSandboxConfig and its Linux part). */
public final class SandboxConfigFactory {
    private final NodeFacts node;
    private final PodDns dns;

    public SandboxConfigFactory(NodeFacts node) {
        this.node = node;
        this.dns = new PodDns(node);
    }

    /** Upstream BuildPodLogsDirectory: {@code <podLogsDir>/<ns>_<name>_<uid>}. */
    public static Path podLogsDirectory(Path podLogsDir, Pod pod) {
        return podLogsDir.resolve(pod.getMetadata().getNamespace() + "_" + pod.getMetadata().getName() + "_"
                + pod.getMetadata().getUid());
    }

    public PodSandboxConfig create(Pod pod, int attempt) throws CreateConfigException {
        var meta = pod.getMetadata();
        var spec = pod.getSpec();
        PodSandboxConfig.Builder b = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(meta.getName()).setNamespace(meta.getNamespace())
                        .setUid(meta.getUid()).setAttempt(attempt))
                .putAllLabels(KubeAnnotations.podLabels(pod))
                .putAllAnnotations(KubeAnnotations.podAnnotations(pod))
                .setDnsConfig(dns.forPod(pod))
                .setLogDirectory(podLogsDirectory(node.podLogsDir(), pod).toString());
        if (!Boolean.TRUE.equals(spec.getHostNetwork())) {
            // a host-network pod keeps the node's hostname: none is set
            b.setHostname(PodHostname.of(pod, node.clusterDomain()).kernelHostname(spec.getSetHostnameAsFQDN()));
        }
        for (Container c : spec.getContainers()) {
            b.addAllPortMappings(portMappings(c));
        }
        b.setLinux(linux(pod));
        return b.build();
    }

    /** Upstream MakePortMappings: every declared port, a repeated name (or unnamed duplicate) once. */
    static List<PortMapping> portMappings(Container c) {
        List<PortMapping> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        if (c.getPorts() == null) {
            return out;
        }
        for (ContainerPort p : c.getPorts()) {
            String hostIp = p.getHostIP() == null ? "" : p.getHostIP();
            String protocol = p.getProtocol() == null ? "TCP" : p.getProtocol();
            int hostPort = p.getHostPort() == null ? 0 : p.getHostPort();
            int containerPort = p.getContainerPort() == null ? 0 : p.getContainerPort();
            String family = hostIp.isEmpty() ? "any" : hostIp.contains(":") ? "v6" : "v4";
            String name = p.getName() != null && !p.getName().isEmpty() ? p.getName()
                    : family + "-" + protocol + "-" + hostIp + ":" + containerPort + ":" + hostPort;
            if (!names.add(name)) {
                continue;
            }
            out.add(PortMapping.newBuilder().setHostIp(hostIp).setHostPort(hostPort).setContainerPort(containerPort)
                    .setProtocol(protocol(protocol)).build());
        }
        return out;
    }

    static Protocol protocol(String p) {
        return switch (p) {
            case "UDP" -> Protocol.UDP;
            case "SCTP" -> Protocol.SCTP;
            default -> Protocol.TCP;
        };
    }

    private static LinuxPodSandboxConfig linux(Pod pod) {
        LinuxSandboxSecurityContext.Builder sc = LinuxSandboxSecurityContext.newBuilder()
                .setNamespaceOptions(PodNamespaces.of(pod))
                .setPrivileged(hasPrivilegedContainer(pod))
                // the sandbox (pause) always runs with the runtime's default seccomp profile (upstream #84623)
                .setSeccomp(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.RuntimeDefault));
        LinuxPodSandboxConfig.Builder b = LinuxPodSandboxConfig.newBuilder().setCgroupParent("");
        PodSecurityContext psc = pod.getSpec().getSecurityContext();
        if (psc != null) {
            if (psc.getRunAsUser() != null) {
                sc.setRunAsUser(Int64Value.newBuilder().setValue(psc.getRunAsUser()));
            }
            if (psc.getRunAsGroup() != null) {
                sc.setRunAsGroup(Int64Value.newBuilder().setValue(psc.getRunAsGroup()));
            }
            sc.addAllSupplementalGroups(supplementalGroups(psc));
            if (psc.getSysctls() != null) {
                for (Sysctl s : psc.getSysctls()) {
                    b.putSysctls(s.getName(), s.getValue());
                }
            }
        }
        return b.setSecurityContext(sc).build();
    }

    /** fsGroup first, then supplementalGroups (upstream order). */
    static List<Long> supplementalGroups(PodSecurityContext psc) {
        List<Long> out = new ArrayList<>();
        if (psc == null) {
            return out;
        }
        if (psc.getFsGroup() != null) {
            out.add(psc.getFsGroup());
        }
        if (psc.getSupplementalGroups() != null) {
            out.addAll(psc.getSupplementalGroups());
        }
        return out;
    }

    static boolean hasPrivilegedContainer(Pod pod) {
        List<Container> all = new ArrayList<>(pod.getSpec().getContainers());
        if (pod.getSpec().getInitContainers() != null) {
            all.addAll(pod.getSpec().getInitContainers());
        }
        return all.stream().anyMatch(c -> c.getSecurityContext() != null
                && Boolean.TRUE.equals(c.getSecurityContext().getPrivileged()));
    }
}
