package dev.skiff.kubelet.apiserver;

import dev.skiff.kubelet.config.NodeTaint;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the kubelet knows of its node that does not change while it runs: the Node's name, labels and register-time
 * taints, its addresses, capacity and what is held back from it, and nodeInfo's versions and ids.
 *
 * @param hostname            the Hostname address (the node name, as upstream with --hostname-override)
 * @param nodeIPs             InternalIP addresses, in order
 * @param memoryBytes         MemTotal
 * @param ephemeralStorageBytes size of the root dir's file system
 * @param containerRuntimeVersion e.g. {@code docker://20.10.24}, from the CRI Version call
 * @param kubeletPort         daemonEndpoints.kubeletEndpoint.port
 */
public record NodeDescription(String nodeName, Map<String, String> labels, List<NodeTaint> taints, String hostname,
                              List<String> nodeIPs, int cpus, long memoryBytes, long ephemeralStorageBytes, int maxPods,
                              String os, String arch, String kubeletVersion, String containerRuntimeVersion,
                              HostIds ids, int kubeletPort) {
    public NodeDescription {
        Objects.requireNonNull(nodeName, "nodeName");
        labels = Map.copyOf(labels);
        taints = List.copyOf(taints);
        nodeIPs = List.copyOf(nodeIPs);
    }
}
