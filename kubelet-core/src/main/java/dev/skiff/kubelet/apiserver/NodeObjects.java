package dev.skiff.kubelet.apiserver;

import dev.skiff.kubelet.config.NodeTaint;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeSystemInfo;
import io.fabric8.kubernetes.api.model.NodeSystemInfoBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The parts of a Node built from a {@link NodeDescription}, as upstream's initialNode and node status setters make them. */
final class NodeObjects {
    /** evictionHard's defaults that upstream takes off allocatable: memory.available<100Mi, nodefs.available<10%. */
    static final long EVICTION_MEMORY_AVAILABLE = 100L * 1024 * 1024;
    static final int EVICTION_NODEFS_AVAILABLE_PERCENT = 10;

    private NodeObjects() {}

    /** The Node to register: metadata, spec taints and the static status (conditions come from the status updater). */
    static Node initialNode(NodeDescription d) {
        return new NodeBuilder()
                .withNewMetadata().withName(d.nodeName()).withLabels(new LinkedHashMap<>(d.labels()))
                .addToAnnotations("volumes.kubernetes.io/controller-managed-attach-detach", "true")
                .endMetadata()
                .withNewSpec().withTaints(taints(d.taints())).endSpec()
                .withNewStatus()
                .withCapacity(capacity(d)).withAllocatable(allocatable(d))
                .withAddresses(addresses(d)).withNodeInfo(nodeInfo(d))
                .withNewDaemonEndpoints().withNewKubeletEndpoint(d.kubeletPort()).endDaemonEndpoints()
                .endStatus()
                .build();
    }

    static List<Taint> taints(List<NodeTaint> taints) {
        List<Taint> out = new ArrayList<>();
        for (NodeTaint t : taints) {
            Taint taint = new Taint();
            taint.setKey(t.key());
            taint.setValue(t.value().isEmpty() ? null : t.value());
            taint.setEffect(t.effect());
            out.add(taint);
        }
        return out;
    }

    static Map<String, Quantity> capacity(NodeDescription d) {
        Map<String, Quantity> c = new LinkedHashMap<>();
        c.put("cpu", new Quantity(Integer.toString(d.cpus())));
        c.put("ephemeral-storage", bytes(d.ephemeralStorageBytes()));
        c.put("hugepages-1Gi", new Quantity("0"));
        c.put("hugepages-2Mi", new Quantity("0"));
        c.put("memory", bytes(d.memoryBytes()));
        c.put("pods", new Quantity(Integer.toString(d.maxPods())));
        return c;
    }

    /** Capacity minus the hard eviction thresholds (Skiff has no kubeReserved/systemReserved yet: nothing else). */
    static Map<String, Quantity> allocatable(NodeDescription d) {
        Map<String, Quantity> a = capacity(d);
        a.put("memory", bytes(Math.max(0, d.memoryBytes() - EVICTION_MEMORY_AVAILABLE)));
        a.put("ephemeral-storage", new Quantity(Long.toString(Math.max(0,
                d.ephemeralStorageBytes() - d.ephemeralStorageBytes() * EVICTION_NODEFS_AVAILABLE_PERCENT / 100))));
        return a;
    }

    static List<NodeAddress> addresses(NodeDescription d) {
        List<NodeAddress> out = new ArrayList<>();
        for (String ip : d.nodeIPs()) {
            out.add(new NodeAddress(ip, "InternalIP"));
        }
        out.add(new NodeAddress(d.hostname(), "Hostname"));
        return out;
    }

    static NodeSystemInfo nodeInfo(NodeDescription d) {
        return new NodeSystemInfoBuilder()
                .withArchitecture(d.arch()).withOperatingSystem(d.os())
                .withBootID(d.ids().bootId()).withMachineID(d.ids().machineId()).withSystemUUID(d.ids().systemUuid())
                .withKernelVersion(d.ids().kernelVersion()).withOsImage(d.ids().osImage())
                .withContainerRuntimeVersion(d.containerRuntimeVersion())
                .withKubeletVersion(d.kubeletVersion()).withKubeProxyVersion("")
                .build();
    }

    /** Bytes as upstream's BinarySI quantities print them: in Ki when whole, else plain. */
    static Quantity bytes(long n) {
        return n % 1024 == 0 && n != 0 ? new Quantity(n / 1024 + "Ki") : new Quantity(Long.toString(n));
    }
}
