package dev.skiff.kubelet.apiserver;

import dev.skiff.kubelet.stats.Summary;
import io.fabric8.kubernetes.api.model.NodeCondition;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The four conditions a kubelet owns, with upstream's reasons and messages (pkg/kubelet/nodestatus/setters.go). The
 * pressure conditions follow evictionHard's defaults on the Summary API's node stats: memory.available &lt; 100Mi,
 * nodefs.available &lt; 10 %, imagefs.available &lt; 15 %, nodefs.inodesFree &lt; 5 %. PIDPressure has no default
 * threshold upstream: False.
 */
final class NodeConditions {
    static final int IMAGEFS_AVAILABLE_PERCENT = 15;
    static final int NODEFS_INODES_FREE_PERCENT = 5;

    private NodeConditions() {}

    /** The conditions now; a condition whose status did not change keeps its lastTransitionTime from {@code previous}. */
    static List<NodeCondition> compute(Optional<String> notReady, Optional<Summary.NodeStats> stats,
                                       List<NodeCondition> previous, Instant now) {
        boolean memory = stats.map(NodeConditions::memoryPressure).orElse(false);
        boolean disk = stats.map(NodeConditions::diskPressure).orElse(false);
        List<NodeCondition> out = new ArrayList<>();
        out.add(memory ? condition("MemoryPressure", "True", "KubeletHasInsufficientMemory",
                "kubelet has insufficient memory available") : condition("MemoryPressure", "False",
                "KubeletHasSufficientMemory", "kubelet has sufficient memory available"));
        out.add(disk ? condition("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure")
                : condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"));
        out.add(condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"));
        out.add(notReady.isEmpty() ? condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")
                : condition("Ready", "False", "KubeletNotReady", notReady.get()));
        String time = format(now);
        for (NodeCondition c : out) {
            c.setLastHeartbeatTime(time);
            c.setLastTransitionTime(previous.stream().filter(p -> p.getType().equals(c.getType())
                            && p.getStatus().equals(c.getStatus()) && p.getLastTransitionTime() != null)
                    .map(NodeCondition::getLastTransitionTime).findFirst().orElse(time));
        }
        return out;
    }

    /** True when the conditions differ in anything but their heartbeat times (upstream's nodeStatusHasChanged). */
    static boolean changed(List<NodeCondition> a, List<NodeCondition> b) {
        if (a.size() != b.size()) {
            return true;
        }
        for (int i = 0; i < a.size(); i++) {
            NodeCondition x = a.get(i);
            NodeCondition y = b.get(i);
            if (!(x.getType().equals(y.getType()) && x.getStatus().equals(y.getStatus())
                    && x.getReason().equals(y.getReason()) && x.getMessage().equals(y.getMessage())
                    && String.valueOf(x.getLastTransitionTime()).equals(String.valueOf(y.getLastTransitionTime())))) {
                return true;
            }
        }
        return false;
    }

    static boolean memoryPressure(Summary.NodeStats s) {
        return s.memory() != null && s.memory().availableBytes() != null
                && s.memory().availableBytes() < NodeObjects.EVICTION_MEMORY_AVAILABLE;
    }

    static boolean diskPressure(Summary.NodeStats s) {
        boolean nodefs = s.fs() != null && (below(s.fs().availableBytes(), s.fs().capacityBytes(),
                NodeObjects.EVICTION_NODEFS_AVAILABLE_PERCENT)
                || below(s.fs().inodesFree(), s.fs().inodes(), NODEFS_INODES_FREE_PERCENT));
        boolean imagefs = s.runtime() != null && s.runtime().imageFs() != null && below(
                s.runtime().imageFs().availableBytes(), s.runtime().imageFs().capacityBytes(), IMAGEFS_AVAILABLE_PERCENT);
        return nodefs || imagefs;
    }

    private static boolean below(Long available, Long total, int percent) {
        return available != null && total != null && total > 0 && available * 100 < total * percent;
    }

    private static NodeCondition condition(String type, String status, String reason, String message) {
        NodeCondition c = new NodeCondition();
        c.setType(type);
        c.setStatus(status);
        c.setReason(reason);
        c.setMessage(message);
        return c;
    }

    static String format(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
    }
}
