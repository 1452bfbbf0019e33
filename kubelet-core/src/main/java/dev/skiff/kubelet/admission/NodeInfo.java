package dev.skiff.kubelet.admission;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What admission knows about this node.
 *
 * @param name    the node name (pods may pin themselves to it with spec.nodeName)
 * @param labels  the node labels (kubernetes.io/hostname, kubernetes.io/os, kubernetes.io/arch and --node-labels)
 * @param maxPods how many active pods this node admits (KubeletConfiguration maxPods, 110 by default)
 */
public record NodeInfo(String name, Map<String, String> labels, int maxPods) {
    public NodeInfo {
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(new TreeMap<>(labels == null ? Map.of() : labels));
        if (maxPods < 0) {
            throw new IllegalArgumentException("maxPods must be >= 0: " + maxPods);
        }
    }
}
