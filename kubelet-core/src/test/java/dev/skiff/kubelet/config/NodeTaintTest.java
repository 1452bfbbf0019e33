package dev.skiff.kubelet.config;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeTaintTest {
    @Test
    void parsesKeyValueEffectAndKeyEffect() {
        List<String> problems = new ArrayList<>();
        List<NodeTaint> t = NodeTaint.parseAll(List.of("dedicated=gpu:NoSchedule", " example.com/spot:PreferNoSchedule", ""),
                problems);
        assertEquals(List.of(), problems);
        assertEquals(List.of(new NodeTaint("dedicated", "gpu", "NoSchedule"),
                new NodeTaint("example.com/spot", "", "PreferNoSchedule")), t);
    }

    @Test
    void badEntriesAreNamedWithWhatIsWrong() {
        List<String> problems = new ArrayList<>();
        List<NodeTaint> t = NodeTaint.parseAll(List.of("a=b", "a=b:Sometimes", "-bad=x:NoExecute", "k=v v:NoExecute"),
                problems);
        assertEquals(List.of(), t);
        assertEquals(4, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("\"a=b\": want key=value:effect"), problems.get(0));
        assertTrue(problems.get(1).contains("effect must be NoSchedule, PreferNoSchedule or NoExecute"), problems.get(1));
        assertTrue(problems.get(2).contains("invalid key"), problems.get(2));
        assertTrue(problems.get(3).contains("invalid value"), problems.get(3));
    }
}
