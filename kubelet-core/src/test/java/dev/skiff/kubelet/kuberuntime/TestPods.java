package dev.skiff.kubelet.kuberuntime;

import dev.skiff.kubelet.pod.ManifestException;
import dev.skiff.kubelet.pod.StaticPodLoader;
import io.fabric8.kubernetes.api.model.Pod;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Static pods from YAML text through the real loader (named, defaulted, validated), and node facts. */
final class TestPods {
    static final String NODE = "node1";

    private TestPods() {
    }

    static Pod load(String yaml) {
        try {
            return new StaticPodLoader(NODE).load(Path.of("/etc/kubernetes/manifests/test.yaml"),
                    yaml.getBytes(StandardCharsets.UTF_8)).pod().orElseThrow();
        } catch (ManifestException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /** A pod "web" (→ web-node1) in namespace ns with the given spec lines (indented 2). */
    static Pod pod(String specLines) {
        return load("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                  namespace: ns
                  labels:
                    app: web
                  annotations:
                    note: hello
                spec:
                """ + specLines.indent(2));
    }

    static NodeFacts node(Path root, Path resolvConf, List<String> clusterDns) {
        return new NodeFacts(NODE, "cluster.local", clusterDns, resolvConf, List.of("10.0.0.5"),
                root.resolve("log/pods"), root.resolve("kubelet"), root.resolve("node-hosts"), 4000, 8L << 30);
    }
}
