package dev.skiff.kubelet.nodeshutdown;

import io.fabric8.kubernetes.api.model.Pod;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Pods split into priority groups, each with its share of the shutdown period, as upstream's migrateConfig and
 * groupByPriority (pkg/kubelet/nodeshutdown/nodeshutdown_manager_linux.go) do. Only {@code spec.priority} counts:
 * a pod without one is priority 0; static pods are <em>not</em> critical here (upstream's IsCriticalPod is not
 * consulted by the shutdown manager since Kubernetes 1.24). Pure.
 */
public final class ShutdownGroups {
    /** scheduling.DefaultPriorityWhenNoDefaultClassExists. */
    static final int DEFAULT_PRIORITY = 0;
    /** scheduling.SystemCriticalPriority: system-cluster-critical, and system-node-critical above it. */
    static final int SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

    /** One priority band and its grace period (upstream ShutdownGracePeriodByPodPriority, whole seconds). */
    public record PriorityGracePeriod(int priority, long gracePeriodSeconds) {
        public Duration gracePeriod() {
            return Duration.ofSeconds(gracePeriodSeconds);
        }
    }

    /** The pods of one band, stopped together; bands go from the lowest priority to the highest. */
    public record Group(PriorityGracePeriod period, List<Pod> pods) {
        public Group {
            Objects.requireNonNull(period, "period");
            pods = List.copyOf(pods);
        }
    }

    private ShutdownGroups() {
    }

    /**
     * Upstream migrateConfig: shutdownGracePeriod and shutdownGracePeriodCriticalPods as two bands, regular pods
     * (priority 0) with {@code grace - critical} and critical pods (priority 2000000000) with {@code critical};
     * empty (graceful shutdown off) when {@code grace} is 0 or {@code critical} exceeds it. Whole seconds,
     * truncated, as upstream.
     */
    public static List<PriorityGracePeriod> fromConfig(Duration grace, Duration critical) {
        if (grace.isZero() || grace.isNegative()) {
            return List.of();
        }
        Duration regular = grace.minus(critical);
        if (regular.isNegative()) {
            return List.of();
        }
        Duration criticalPart = grace.minus(regular);
        if (criticalPart.isNegative()) {
            return List.of();
        }
        return List.of(new PriorityGracePeriod(DEFAULT_PRIORITY, regular.toSeconds()),
                new PriorityGracePeriod(SYSTEM_CRITICAL_PRIORITY, criticalPart.toSeconds()));
    }

    /** Upstream periodRequested: the whole delay the bands need from logind. */
    public static Duration periodRequested(List<PriorityGracePeriod> periods) {
        return Duration.ofSeconds(periods.stream().mapToLong(PriorityGracePeriod::gracePeriodSeconds).sum());
    }

    /**
     * Upstream groupByPriority: each pod goes to the highest band whose priority is not above its own; pods above
     * the highest band go to it, pods below the lowest to the lowest. Groups come sorted low to high, empty ones
     * included.
     */
    public static List<Group> group(List<PriorityGracePeriod> periods, List<Pod> pods) {
        List<PriorityGracePeriod> sorted = new ArrayList<>(periods);
        sorted.sort(Comparator.comparingInt(PriorityGracePeriod::priority));
        List<List<Pod>> members = new ArrayList<>();
        sorted.forEach(p -> members.add(new ArrayList<>()));
        if (sorted.isEmpty()) {
            return List.of();
        }
        for (Pod pod : pods) {
            int priority = priority(pod);
            int index = 0;
            for (int i = 0; i < sorted.size(); i++) {
                if (sorted.get(i).priority() <= priority) {
                    index = i;
                }
            }
            members.get(index).add(pod);
        }
        List<Group> groups = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i++) {
            groups.add(new Group(sorted.get(i), members.get(i)));
        }
        return groups;
    }

    /** {@code spec.priority}, 0 when unset (upstream reads nothing else: not the class name, not the source). */
    static int priority(Pod pod) {
        Integer p = pod.getSpec() == null ? null : pod.getSpec().getPriority();
        return p == null ? 0 : p;
    }

    /**
     * The grace period a pod of {@code group} is killed with: the group's, or the pod's own
     * terminationGracePeriodSeconds when that is not longer.
     */
    public static Duration podGracePeriod(Group group, Pod pod) {
        long seconds = group.period().gracePeriodSeconds();
        Long own = pod.getSpec() == null ? null : pod.getSpec().getTerminationGracePeriodSeconds();
        if (own != null && own <= seconds) {
            seconds = own;
        }
        return Duration.ofSeconds(seconds);
    }
}
