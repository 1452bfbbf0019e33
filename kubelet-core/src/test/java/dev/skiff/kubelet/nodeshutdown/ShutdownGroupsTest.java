package dev.skiff.kubelet.nodeshutdown;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.skiff.kubelet.nodeshutdown.NodeShutdownManagerTest.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ShutdownGroupsTest {
    private static List<String> names(ShutdownGroups.Group g) {
        return g.pods().stream().map(p -> p.getMetadata().getName()).toList();
    }

    @Test
    void classicSettingsBecomeTwoBands() {
        assertEquals(List.of(new ShutdownGroups.PriorityGracePeriod(0, 20),
                        new ShutdownGroups.PriorityGracePeriod(2_000_000_000, 10)),
                ShutdownGroups.fromConfig(Duration.ofSeconds(30), Duration.ofSeconds(10)));
        assertEquals(List.of(new ShutdownGroups.PriorityGracePeriod(0, 30),
                        new ShutdownGroups.PriorityGracePeriod(2_000_000_000, 0)),
                ShutdownGroups.fromConfig(Duration.ofSeconds(30), Duration.ZERO));
        assertEquals(List.of(), ShutdownGroups.fromConfig(Duration.ZERO, Duration.ZERO), "off");
        assertEquals(List.of(), ShutdownGroups.fromConfig(Duration.ofSeconds(5), Duration.ofSeconds(6)), "off");
        // whole seconds, truncated, as upstream's int64(d / time.Second)
        assertEquals(List.of(new ShutdownGroups.PriorityGracePeriod(0, 20),
                        new ShutdownGroups.PriorityGracePeriod(2_000_000_000, 10)),
                ShutdownGroups.fromConfig(Duration.ofMillis(30_900), Duration.ofMillis(10_500)));
        assertEquals(Duration.ofSeconds(30), ShutdownGroups.periodRequested(
                ShutdownGroups.fromConfig(Duration.ofSeconds(30), Duration.ofSeconds(10))));
    }

    @Test
    void podsGoToTheHighestBandNotAboveTheirPriority() {
        List<Pod> pods = List.of(pod("unset", null, null), pod("zero", 0, null), pod("negative", -10, null),
                pod("high-user", 1_000_000_000, null), pod("cluster-critical", 2_000_000_000, null),
                pod("node-critical", 2_000_001_000, null));
        var groups = ShutdownGroups.group(ShutdownGroups.fromConfig(Duration.ofSeconds(30), Duration.ofSeconds(10)),
                pods);
        assertEquals(2, groups.size());
        assertEquals(List.of("unset", "zero", "negative", "high-user"), names(groups.get(0)));
        assertEquals(List.of("cluster-critical", "node-critical"), names(groups.get(1)));
    }

    @Test
    void staticPodsAreNotCriticalByThemselves() {
        // every Skiff pod is a static pod (config.source file); only spec.priority makes one critical
        Pod staticNodeCritical = pod("kube-apiserver", null, null);
        staticNodeCritical.getSpec().setPriorityClassName("system-node-critical");
        var groups = ShutdownGroups.group(ShutdownGroups.fromConfig(Duration.ofSeconds(30), Duration.ofSeconds(10)),
                List.of(staticNodeCritical));
        assertEquals(List.of("kube-apiserver"), names(groups.get(0)));
    }

    @Test
    void moreBandsFollowUpstreamsSearch() {
        var periods = List.of(new ShutdownGroups.PriorityGracePeriod(100_000, 10),
                new ShutdownGroups.PriorityGracePeriod(10_000, 20), new ShutdownGroups.PriorityGracePeriod(0, 30));
        var groups = ShutdownGroups.group(periods, List.of(pod("a", -1, null), pod("b", 9_999, null),
                pod("c", 10_000, null), pod("d", 99_999, null), pod("e", 5_000_000, null)));
        assertEquals(List.of(0, 10_000, 100_000), groups.stream().map(g -> g.period().priority()).toList());
        assertEquals(List.of("a", "b"), names(groups.get(0)));
        assertEquals(List.of("c", "d"), names(groups.get(1)));
        assertEquals(List.of("e"), names(groups.get(2)));
    }

    @Test
    void podGracePeriodIsTheSmallerOfGroupAndOwn() {
        var group = new ShutdownGroups.Group(new ShutdownGroups.PriorityGracePeriod(0, 20), List.of());
        assertEquals(Duration.ofSeconds(20), ShutdownGroups.podGracePeriod(group, pod("a", null, null)));
        assertEquals(Duration.ofSeconds(20), ShutdownGroups.podGracePeriod(group, pod("a", null, 20L)));
        assertEquals(Duration.ofSeconds(5), ShutdownGroups.podGracePeriod(group, pod("a", null, 5L)));
        assertEquals(Duration.ZERO, ShutdownGroups.podGracePeriod(group, pod("a", null, 0L)));
        assertEquals(Duration.ofSeconds(20), ShutdownGroups.podGracePeriod(group, pod("a", null, 600L)));
    }
}
