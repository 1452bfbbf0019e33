package dev.skiff.kubelet.status;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.PodSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The pod conditions the kubelet owns, by upstream pkg/kubelet/status/generate.go. Transition times are
 * left unset: {@link StatusManager} stamps them, keeping the old time while a condition's status holds.
 */
public final class PodConditions {
    public static final String POD_SCHEDULED = "PodScheduled";
    public static final String READY_TO_START_CONTAINERS = "PodReadyToStartContainers";
    public static final String INITIALIZED = "Initialized";
    public static final String CONTAINERS_READY = "ContainersReady";
    public static final String READY = "Ready";

    public static final String UNKNOWN_CONTAINER_STATUSES = "UnknownContainerStatuses";
    public static final String POD_COMPLETED = "PodCompleted";
    public static final String POD_FAILED = "PodFailed";
    public static final String CONTAINERS_NOT_READY = "ContainersNotReady";
    public static final String CONTAINERS_NOT_INITIALIZED = "ContainersNotInitialized";
    public static final String READINESS_GATES_NOT_READY = "ReadinessGatesNotReady";

    private PodConditions() {
    }

    static PodCondition readyToStartContainers(boolean sandboxReadyWithNetwork) {
        return condition(READY_TO_START_CONTAINERS, sandboxReadyWithNetwork, "", "");
    }

    static PodCondition initialized(PodSpec spec, List<ContainerStatus> statuses, String phase) {
        List<Container> inits = spec.getInitContainers() == null ? List.of() : spec.getInitContainers();
        List<String> unknown = new ArrayList<>();
        List<String> incomplete = new ArrayList<>();
        for (Container c : inits) {
            Optional<ContainerStatus> s = find(statuses, c.getName());
            if (s.isEmpty()) {
                unknown.add(c.getName());
            } else if (PodStatusGenerator.isRestartableInit(c)) {
                if (!Boolean.TRUE.equals(s.get().getStarted())) {
                    incomplete.add(c.getName());
                }
            } else if (!Boolean.TRUE.equals(s.get().getReady())) {
                incomplete.add(c.getName());
            }
        }
        if ("Succeeded".equals(phase) && unknown.isEmpty()) {
            return condition(INITIALIZED, true, POD_COMPLETED, "");
        }
        // A regular container that runs or ran proves the pod initialized before (its init containers may be gone,
        // its sidecars restarting): upstream HasAnyRegularContainerStarted.
        for (Container c : spec.getContainers()) {
            Optional<ContainerStatus> s = find(statuses, c.getName());
            if (s.isPresent() && s.get().getState() != null
                    && (s.get().getState().getRunning() != null || s.get().getState().getTerminated() != null)) {
                return condition(INITIALIZED, true, "", "");
            }
        }
        List<String> msgs = new ArrayList<>();
        if (!unknown.isEmpty()) {
            msgs.add("containers with unknown status: " + goList(unknown));
        }
        if (!incomplete.isEmpty()) {
            msgs.add("containers with incomplete status: " + goList(incomplete));
        }
        if (!msgs.isEmpty()) {
            return condition(INITIALIZED, false, CONTAINERS_NOT_INITIALIZED, String.join(", ", msgs));
        }
        return condition(INITIALIZED, true, "", "");
    }

    static PodCondition containersReady(PodSpec spec, List<ContainerStatus> statuses, String phase) {
        List<String> unknown = new ArrayList<>();
        List<String> unready = new ArrayList<>();
        List<Container> considered = new ArrayList<>();
        if (spec.getInitContainers() != null) {
            spec.getInitContainers().stream().filter(PodStatusGenerator::isRestartableInit).forEach(considered::add);
        }
        considered.addAll(spec.getContainers());
        for (Container c : considered) {
            Optional<ContainerStatus> s = find(statuses, c.getName());
            if (s.isEmpty()) {
                unknown.add(c.getName());
            } else if (!Boolean.TRUE.equals(s.get().getReady())) {
                unready.add(c.getName());
            }
        }
        if ("Succeeded".equals(phase) && unknown.isEmpty()) {
            return condition(CONTAINERS_READY, false, POD_COMPLETED, "");
        }
        if ("Failed".equals(phase)) {
            return condition(CONTAINERS_READY, false, POD_FAILED, "");
        }
        List<String> msgs = new ArrayList<>();
        if (!unknown.isEmpty()) {
            msgs.add("containers with unknown status: " + goList(unknown));
        }
        if (!unready.isEmpty()) {
            msgs.add("containers with unready status: " + goList(unready));
        }
        if (!msgs.isEmpty()) {
            return condition(CONTAINERS_READY, false, CONTAINERS_NOT_READY, String.join(", ", msgs));
        }
        return condition(CONTAINERS_READY, true, "", "");
    }

    /** Ready mirrors ContainersReady unless readiness gates are unmet (a static pod cannot satisfy any). */
    static PodCondition ready(PodSpec spec, PodCondition containersReady, List<PodCondition> conditions) {
        if (!"True".equals(containersReady.getStatus())) {
            PodCondition c = new PodCondition();
            c.setType(READY);
            c.setStatus(containersReady.getStatus());
            c.setReason(containersReady.getReason());
            c.setMessage(containersReady.getMessage());
            return c;
        }
        List<PodReadinessGate> gates = spec.getReadinessGates() == null ? List.of() : spec.getReadinessGates();
        List<String> msgs = new ArrayList<>();
        for (PodReadinessGate g : gates) {
            Optional<PodCondition> c = conditions.stream().filter(x -> g.getConditionType().equals(x.getType())).findFirst();
            if (c.isEmpty()) {
                msgs.add("corresponding condition of pod readiness gate \"" + g.getConditionType() + "\" does not exist.");
            } else if (!"True".equals(c.get().getStatus())) {
                msgs.add("the status of pod readiness gate \"" + g.getConditionType() + "\" is not \"True\", but "
                        + c.get().getStatus());
            }
        }
        if (!msgs.isEmpty()) {
            return condition(READY, false, READINESS_GATES_NOT_READY, String.join(", ", msgs));
        }
        return condition(READY, true, "", "");
    }

    static PodCondition scheduled() {
        return condition(POD_SCHEDULED, true, "", "");
    }

    /** Go's fmt %s of a []string: {@code [a b]}. */
    static String goList(List<String> names) {
        return "[" + String.join(" ", names) + "]";
    }

    private static PodCondition condition(String type, boolean status, String reason, String message) {
        PodCondition c = new PodCondition();
        c.setType(type);
        c.setStatus(status ? "True" : "False");
        if (!reason.isEmpty()) {
            c.setReason(reason);
        }
        if (!message.isEmpty()) {
            c.setMessage(message);
        }
        return c;
    }

    static Optional<ContainerStatus> find(List<ContainerStatus> statuses, String name) {
        return statuses.stream().filter(s -> name.equals(s.getName())).findFirst();
    }
}
