package dev.skiff.kubelet.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeLabelsTest {

    @Test
    void parsesLikeUpstreamConfigurationMap() {
        assertEquals(Map.of("a", "b", "c", "d", "e", "", "k", "v=w"),
                NodeLabels.parse(" a = b , c=d,,e,k=v=w,"));
        assertEquals(Map.of("a", "2"), NodeLabels.parse("a=1,a=2"));
        assertEquals(Map.of(), NodeLabels.parse(""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk=ssd", "example.com/tier=gold", "node.kubernetes.io/exclude-from-lb=true",
            "x.kubelet.kubernetes.io/pool=a", "kubernetes.io/hostname=other", "topology.kubernetes.io/zone=z1",
            "empty=", "a_b.c-d=V_1.x-2"})
    void acceptsValidAndKubeletSettableLabels(String arg) {
        assertEquals(List.of(), NodeLabels.validate(NodeLabels.parse(arg)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-bad=x", "bad-=x", "a/b/c=x", "/name=x", "Upper.Case/x=y", "prefix/=x",
            "has space=x", "toolong0123456789012345678901234567890123456789012345678901234567=x"})
    void rejectsInvalidKeys(String arg) {
        List<String> problems = NodeLabels.validate(NodeLabels.parse(arg));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("--node-labels: invalid label key"), problems.get(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"k=has space", "k=-lead", "k=trail-", "k=a/b",
            "k=0123456789012345678901234567890123456789012345678901234567890123"})
    void rejectsInvalidValues(String arg) {
        List<String> problems = NodeLabels.validate(NodeLabels.parse(arg));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("--node-labels: invalid value"), problems.get(0));
    }

    @Test
    void rejectsKubernetesNamespaceLabelsTheKubeletMayNotSet() {
        List<String> problems = NodeLabels.validate(NodeLabels.parse(
                "node-role.kubernetes.io/master=,kubernetes.io/role=x,k8s.io/a=b,ok=1"));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("unknown 'kubernetes.io' or 'k8s.io' labels specified with "
                + "--node-labels: [k8s.io/a, kubernetes.io/role, node-role.kubernetes.io/master]"), problems.get(0));
    }
}
