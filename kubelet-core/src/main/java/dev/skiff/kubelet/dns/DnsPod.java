package dev.skiff.kubelet.dns;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What DNS needs of one pod: where it is (namespace, labels, hostname/subdomain), its IPs, whether it is ready,
 * and its named container ports (for a Service's named targetPort). A value: two equal views give equal records.
 *
 * @param terminating deleted (grace period running) or in a terminal phase: as the endpoints controller, such a
 *                    pod is never an endpoint
 */
public record DnsPod(String uid, String namespace, String name, Map<String, String> labels, String hostname,
                     String subdomain, List<String> ips, boolean ready, boolean terminating,
                     List<NamedPort> ports) {

    /** A container port: {@code name} may be empty. */
    public record NamedPort(String name, int port, String protocol) {
    }

    public DnsPod {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        hostname = hostname == null ? "" : hostname;
        subdomain = subdomain == null ? "" : subdomain;
        ips = List.copyOf(ips);
        ports = List.copyOf(ports);
    }

    /** The view of {@code pod} (its metadata and spec) with {@code status}. */
    public static DnsPod of(Pod pod, PodStatus status) {
        var meta = pod.getMetadata();
        var spec = pod.getSpec();
        List<String> ips = new ArrayList<>();
        if (status.getPodIPs() != null) {
            for (PodIP ip : status.getPodIPs()) {
                if (ip.getIp() != null && !ip.getIp().isEmpty() && !ips.contains(ip.getIp())) {
                    ips.add(ip.getIp());
                }
            }
        }
        if (ips.isEmpty() && status.getPodIP() != null && !status.getPodIP().isEmpty()) {
            ips.add(status.getPodIP());
        }
        boolean ready = status.getConditions() != null && status.getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
        boolean terminating = meta.getDeletionTimestamp() != null
                || "Succeeded".equals(status.getPhase()) || "Failed".equals(status.getPhase());
        List<NamedPort> ports = new ArrayList<>();
        if (spec != null && spec.getContainers() != null) {
            for (Container c : spec.getContainers()) {
                for (ContainerPort p : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
                    if (p.getContainerPort() != null) {
                        ports.add(new NamedPort(p.getName() == null ? "" : p.getName(), p.getContainerPort(),
                                p.getProtocol() == null ? "TCP" : p.getProtocol()));
                    }
                }
            }
        }
        return new DnsPod(meta.getUid(), meta.getNamespace() == null ? "default" : meta.getNamespace(),
                meta.getName(), meta.getLabels(), spec == null ? "" : spec.getHostname(),
                spec == null ? "" : spec.getSubdomain(), ips, ready, terminating, ports);
    }

    /** Upstream's FindPort: a named target port is the pod's container port of that name and protocol. */
    java.util.OptionalInt findPort(String name, String protocol) {
        for (NamedPort p : ports) {
            if (p.name().equals(name) && p.protocol().equals(protocol)) {
                return java.util.OptionalInt.of(p.port());
            }
        }
        return java.util.OptionalInt.empty();
    }
}
