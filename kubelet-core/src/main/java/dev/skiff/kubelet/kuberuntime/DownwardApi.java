package dev.skiff.kubelet.kuberuntime;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import dev.skiff.volume.util.DownwardValues;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;

import java.util.List;

/**
 * fieldRef and resourceFieldRef values for container env (upstream podFieldSelectorRuntimeValue). The pod-metadata
 * paths and resources are volume-manager's {@link DownwardValues}, shared with downwardAPI volumes; only the
 * env-only paths (spec.*, status.*) are resolved here.
 */
final class DownwardApi {
    private DownwardApi() {
    }

    static String field(ObjectFieldSelector fs, Pod pod, NodeFacts node, List<String> podIps) throws CreateConfigException {
        try {
            DownwardValues.checkApiVersion(fs.getApiVersion());
            String path = fs.getFieldPath() == null ? "" : fs.getFieldPath();
            var spec = pod.getSpec();
            return switch (path) {
                case "spec.nodeName" -> nz(spec.getNodeName());
                case "spec.serviceAccountName" -> nz(spec.getServiceAccountName());
                case "status.hostIP" -> node.hostIp();
                case "status.hostIPs" -> String.join(",", node.nodeIps());
                case "status.podIP" -> podIps.isEmpty() ? "" : podIps.get(0);
                case "status.podIPs" -> String.join(",", podIps);
                default -> DownwardValues.metadataField(path, pod);
            };
        } catch (VolumeException e) {
            throw new CreateConfigException(e.getMessage(), e);
        }
    }

    /**
     * A resource value in units of the divisor, rounded up. Missing limits read as the node's allocatable CPU and
     * its memory capacity; missing requests as 0.
     */
    static String resource(ResourceFieldSelector fs, Pod pod, Container self, NodeFacts node) throws CreateConfigException {
        try {
            return DownwardValues.resourceField(fs, pod, self,
                    new NodeResources(node.allocatableMilliCpu(), node.memoryCapacityBytes()));
        } catch (VolumeException e) {
            throw new CreateConfigException(e.getMessage(), e);
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
