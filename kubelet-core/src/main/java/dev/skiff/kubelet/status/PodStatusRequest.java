package dev.skiff.kubelet.status;

import io.fabric8.kubernetes.api.model.Pod;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything {@link PodStatusGenerator} reads, gathered by the caller (the pod worker after a sync).
 *
 * @param pod                 the desired pod (spec)
 * @param runtime             what the CRI runtime reports for it
 * @param runtimeName         the CRI runtime's name (VersionResponse.runtime_name, "docker"): containerID prefix
 * @param waiting             per container name: why the sync did not start it (CrashLoopBackOff, ErrImagePull…)
 * @param readiness           per container name: readiness probe result; a container without a readinessProbe is
 *                            ready when running and not listed here
 * @param startup             per container name: startup probe result; a container without a startupProbe is
 *                            started when running and not listed here
 * @param terminationMessages per CRI container id: the content of its termination message file (or log tail)
 * @param nodeIPs             the node's addresses, primary first (hostIP/hostIPs; podIPs of hostNetwork pods)
 * @param startTime           when the kubelet first acknowledged the pod (empty: not yet)
 * @param podIsTerminal       true when the pod worker has finished the pod (all containers stopped for good)
 */
public record PodStatusRequest(Pod pod, CriPodView runtime, String runtimeName, Map<String, ContainerWaiting> waiting,
                               Map<String, Boolean> readiness, Map<String, Boolean> startup,
                               Map<String, String> terminationMessages, List<String> nodeIPs,
                               Optional<Instant> startTime, boolean podIsTerminal) {
    public PodStatusRequest {
        Objects.requireNonNull(pod, "pod");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(runtimeName, "runtimeName");
        waiting = Map.copyOf(waiting);
        readiness = Map.copyOf(readiness);
        startup = Map.copyOf(startup);
        terminationMessages = Map.copyOf(terminationMessages);
        nodeIPs = List.copyOf(nodeIPs);
        Objects.requireNonNull(startTime, "startTime");
    }

    public static Builder builder(Pod pod) {
        return new Builder(pod);
    }

    public static final class Builder {
        private final Pod pod;
        private CriPodView runtime = CriPodView.EMPTY;
        private String runtimeName = "docker";
        private final Map<String, ContainerWaiting> waiting = new HashMap<>();
        private final Map<String, Boolean> readiness = new HashMap<>();
        private final Map<String, Boolean> startup = new HashMap<>();
        private final Map<String, String> terminationMessages = new HashMap<>();
        private List<String> nodeIPs = List.of();
        private Instant startTime;
        private boolean podIsTerminal;

        private Builder(Pod pod) {
            this.pod = pod;
        }

        public Builder runtime(CriPodView v) {
            this.runtime = v;
            return this;
        }

        public Builder runtimeName(String n) {
            this.runtimeName = n;
            return this;
        }

        public Builder waiting(String container, String reason, String message) {
            waiting.put(container, new ContainerWaiting(reason, message));
            return this;
        }

        public Builder waiting(Map<String, ContainerWaiting> all) {
            waiting.putAll(all);
            return this;
        }

        public Builder ready(String container, boolean ready) {
            readiness.put(container, ready);
            return this;
        }

        public Builder started(String container, boolean started) {
            startup.put(container, started);
            return this;
        }

        public Builder terminationMessage(String containerId, String message) {
            terminationMessages.put(containerId, message);
            return this;
        }

        public Builder terminationMessages(Map<String, String> all) {
            terminationMessages.putAll(all);
            return this;
        }

        public Builder nodeIPs(List<String> ips) {
            this.nodeIPs = ips;
            return this;
        }

        public Builder startTime(Instant t) {
            this.startTime = t;
            return this;
        }

        public Builder podIsTerminal(boolean t) {
            this.podIsTerminal = t;
            return this;
        }

        public PodStatusRequest build() {
            return new PodStatusRequest(pod, runtime, runtimeName, waiting, readiness, startup, terminationMessages,
                    nodeIPs, Optional.ofNullable(startTime), podIsTerminal);
        }
    }
}
