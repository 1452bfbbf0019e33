package dev.skiff.kubelet.stats;

import dev.skiff.cri.stats.ContainerSample;
import dev.skiff.cri.stats.StatsSnapshot;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.PodSandbox;

import java.util.List;
import java.util.Optional;

/** One look at the node: the runtime's ready pods and running containers, matched to one cgroup snapshot. */
record RuntimeView(StatsSnapshot snapshot, List<PodView> pods) {

    /** A ready sandbox; {@code infra} is its own (pause) cgroup. */
    record PodView(PodSandbox sandbox, Optional<ContainerSample> infra, List<ContainerView> containers) {
        String name() {
            return sandbox.getMetadata().getName();
        }

        String namespace() {
            return sandbox.getMetadata().getNamespace();
        }

        String uid() {
            return sandbox.getMetadata().getUid();
        }
    }

    record ContainerView(Container container, Optional<ContainerSample> sample) {
        String name() {
            return container.getMetadata().getName();
        }
    }
}
