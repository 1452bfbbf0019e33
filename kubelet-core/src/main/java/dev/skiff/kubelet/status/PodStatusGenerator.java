package dev.skiff.kubelet.status;

import dev.skiff.cri.v1.ContainerState;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateRunning;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a pod's API status from its spec and what the runtime reports, as upstream's
 * generateAPIPodStatus / convertToAPIContainerStatuses / getPhase (pkg/kubelet/kubelet_pods.go) do.
 * Pure: no I/O, no clock, no state; the same request gives the same status.
 */
public final class PodStatusGenerator {
    public static final String PENDING = "Pending";
    public static final String RUNNING = "Running";
    public static final String SUCCEEDED = "Succeeded";
    public static final String FAILED = "Failed";

    public PodStatus generate(PodStatusRequest r) {
        Pod pod = r.pod();
        PodSpec spec = pod.getSpec();
        List<Container> inits = spec.getInitContainers() == null ? List.of() : spec.getInitContainers();
        boolean hasInit = !inits.isEmpty();

        List<ContainerStatus> initStatuses = new ArrayList<>();
        for (Container c : inits) {
            initStatuses.add(containerStatus(r, c, true, hasInit));
        }
        List<ContainerStatus> statuses = new ArrayList<>();
        for (Container c : spec.getContainers()) {
            statuses.add(containerStatus(r, c, false, hasInit));
        }
        List<ContainerStatus> all = new ArrayList<>(initStatuses);
        all.addAll(statuses);

        String phase = phase(spec, all, r.podIsTerminal(), hasInitialized(r));

        PodStatus s = new PodStatus();
        s.setPhase(phase);
        List<PodCondition> conditions = new ArrayList<>();
        List<String> podIPs = r.runtime().podIPs();
        if (podIPs.isEmpty() && Boolean.TRUE.equals(spec.getHostNetwork())) {
            podIPs = r.nodeIPs();
        }
        boolean networkReady = r.runtime().sandboxReady() && (!podIPs.isEmpty() || Boolean.TRUE.equals(spec.getHostNetwork()));
        conditions.add(PodConditions.readyToStartContainers(networkReady));
        conditions.add(PodConditions.initialized(spec, all, phase));
        PodCondition containersReady = PodConditions.containersReady(spec, all, phase);
        conditions.add(PodConditions.ready(spec, containersReady, conditions));
        conditions.add(containersReady);
        conditions.add(PodConditions.scheduled());
        s.setConditions(conditions);

        if (!r.nodeIPs().isEmpty()) {
            s.setHostIP(r.nodeIPs().get(0));
            s.setHostIPs(r.nodeIPs().stream().map(HostIP::new).toList());
        }
        if (!podIPs.isEmpty()) {
            s.setPodIP(podIPs.get(0));
            s.setPodIPs(podIPs.stream().map(PodIP::new).toList());
        }
        r.startTime().ifPresent(t -> s.setStartTime(rfc3339(t)));
        s.setQosClass(PodQos.of(pod));
        if (hasInit) {
            s.setInitContainerStatuses(initStatuses);
        }
        s.setContainerStatuses(statuses);
        return s;
    }

    private ContainerStatus containerStatus(PodStatusRequest r, Container c, boolean isInit, boolean hasInit) {
        String name = c.getName();
        ContainerStatus s = new ContainerStatus();
        s.setName(name);
        s.setImage(c.getImage());
        s.setImageID("");
        s.setRestartCount(0);
        s.setReady(false);
        s.setStarted(false);
        s.setLastState(new io.fabric8.kubernetes.api.model.ContainerState());
        s.setState(waiting(hasInit ? ContainerWaiting.POD_INITIALIZING : ContainerWaiting.CONTAINER_CREATING, ""));

        List<dev.skiff.cri.v1.ContainerStatus> cri = r.runtime().statuses(name);
        if (!cri.isEmpty()) {
            dev.skiff.cri.v1.ContainerStatus newest = cri.get(0);
            s.setContainerID(containerId(r.runtimeName(), newest.getId()));
            String criImage = newest.getImage().getImage();
            if (!criImage.isEmpty() && !criImage.startsWith("sha256:")) {
                s.setImage(criImage);
            }
            s.setImageID(imageId(newest.getImageRef()));
            s.setRestartCount(KubeAnnotations.ContainerInfo.from(newest.getLabelsMap(), newest.getAnnotationsMap()).restartCount());
            s.setState(state(r, newest));
            if (cri.size() > 1 && cri.get(1).getState() == ContainerState.CONTAINER_EXITED) {
                s.setLastState(state(r, cri.get(1)));
            }
        }
        boolean running = s.getState().getRunning() != null;
        // The sync could not start it: the waiting reason replaces a terminated state, which becomes lastState.
        ContainerWaiting w = r.waiting().get(name);
        if (w != null && !running) {
            if (s.getState().getTerminated() != null) {
                s.setLastState(s.getState());
            }
            s.setState(waiting(w.reason(), w.message()));
        }
        boolean started = running && r.startup().getOrDefault(name, c.getStartupProbe() == null);
        s.setStarted(started);
        if (isInit && !isRestartableInit(c)) {
            ContainerStateTerminated t = s.getState().getTerminated();
            s.setReady(t != null && t.getExitCode() != null && t.getExitCode() == 0);
        } else {
            s.setReady(started && r.readiness().getOrDefault(name, c.getReadinessProbe() == null));
        }
        return s;
    }

    private static io.fabric8.kubernetes.api.model.ContainerState state(PodStatusRequest r, dev.skiff.cri.v1.ContainerStatus cs) {
        return switch (cs.getState()) {
            case CONTAINER_RUNNING -> new ContainerStateBuilder()
                    .withRunning(new ContainerStateRunning(cs.getStartedAt() == 0 ? null : rfc3339(nanos(cs.getStartedAt()))))
                    .build();
            case CONTAINER_EXITED -> {
                ContainerStateTerminated t = new ContainerStateTerminated();
                t.setExitCode(cs.getExitCode());
                t.setReason(cs.getReason().isEmpty() ? null : cs.getReason());
                String message = cs.getMessage();
                String tm = r.terminationMessages().getOrDefault(cs.getId(), "");
                if (!tm.isEmpty()) {
                    message = message.isEmpty() ? tm : message + ": " + tm;
                }
                t.setMessage(message.isEmpty() ? null : message);
                if (cs.getStartedAt() != 0) {
                    t.setStartedAt(rfc3339(nanos(cs.getStartedAt())));
                }
                if (cs.getFinishedAt() != 0) {
                    t.setFinishedAt(rfc3339(nanos(cs.getFinishedAt())));
                }
                t.setContainerID(containerId(r.runtimeName(), cs.getId()));
                yield new ContainerStateBuilder().withTerminated(t).build();
            }
            // Created but not running is "waiting to be running", without a reason (upstream).
            default -> new ContainerStateBuilder().withWaiting(new ContainerStateWaiting()).build();
        };
    }

    private static io.fabric8.kubernetes.api.model.ContainerState waiting(String reason, String message) {
        ContainerStateWaiting w = new ContainerStateWaiting();
        w.setReason(reason);
        if (!message.isEmpty()) {
            w.setMessage(message);
        }
        return new ContainerStateBuilder().withWaiting(w).build();
    }

    /** {@code <runtime>://<id>}, as kubecontainer.ContainerID prints. */
    static String containerId(String runtimeName, String id) {
        return runtimeName + "://" + id;
    }

    /**
     * The image ID as cri-dockerd reports it: a runtime-qualified reference stays as it is; a repo digest
     * ({@code repo@sha256:…}) becomes {@code docker-pullable://…}; a bare image id becomes {@code docker://sha256:…}.
     */
    static String imageId(String imageRef) {
        if (imageRef.isEmpty() || imageRef.contains("://")) {
            return imageRef;
        }
        return imageRef.contains("@") ? "docker-pullable://" + imageRef : "docker://" + imageRef;
    }

    static boolean isRestartableInit(Container c) {
        return "Always".equals(c.getRestartPolicy());
    }

    /**
     * Upstream HasAnyActiveRegularContainerStarted: an app container of the current sandbox exists (created after
     * it, in whatever state), so the pod got past its init containers; a sidecar restarting then does not make the pod Pending again.
     * Instances from an older sandbox do not count: a new sandbox initializes again.
     */
    private static boolean hasInitialized(PodStatusRequest r) {
        long sandboxCreated = r.runtime().sandbox().map(dev.skiff.cri.v1.PodSandboxStatus::getCreatedAt).orElse(0L);
        for (Container c : r.pod().getSpec().getContainers()) {
            for (dev.skiff.cri.v1.ContainerStatus cs : r.runtime().statuses(c.getName())) {
                if (cs.getCreatedAt() >= sandboxCreated) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Upstream getPhase. Regular init containers keep the pod Pending until they succeed (one that failed fails a
     * Never pod); sidecars count like app containers (a running one keeps the pod Running), except that a terminated
     * sidecar is not counted and one not yet started keeps a pod that has not initialized Pending. A local pod is
     * never Unknown: the kubelet always knows its own runtime.
     */
    static String phase(PodSpec spec, List<ContainerStatus> statuses, boolean podIsTerminal, boolean podHasInitialized) {
        String restartPolicy = spec.getRestartPolicy() == null ? "Always" : spec.getRestartPolicy();
        int pendingRestartableInit = 0;
        int pendingRegularInit = 0;
        int failedInitialization = 0;
        int unknown = 0;
        int running = 0;
        int waiting = 0;
        int stopped = 0;
        int succeeded = 0;
        List<Container> inits = spec.getInitContainers() == null ? List.of() : spec.getInitContainers();
        for (Container c : inits) {
            ContainerStatus s = PodConditions.find(statuses, c.getName()).orElse(null);
            if (isRestartableInit(c)) {
                if (s == null) {
                    unknown++;
                } else if (s.getState().getRunning() != null) {
                    if (!Boolean.TRUE.equals(s.getStarted())) {
                        pendingRestartableInit++;
                    }
                    running++;
                } else if (s.getState().getTerminated() != null) {
                    continue; // a terminated sidecar does not count for the phase
                } else if (s.getState().getWaiting() != null) {
                    if (lastTerminated(s) == null) {
                        pendingRestartableInit++;
                        waiting++;
                    }
                } else {
                    pendingRestartableInit++;
                    unknown++;
                }
                continue;
            }
            if (s == null || s.getState().getRunning() != null) {
                pendingRegularInit++;
            } else if (s.getState().getTerminated() != null) {
                if (s.getState().getTerminated().getExitCode() != 0) {
                    failedInitialization++;
                }
            } else if (s.getState().getWaiting() != null) {
                ContainerStateTerminated last = lastTerminated(s);
                if (last != null) {
                    if (last.getExitCode() != 0) {
                        failedInitialization++;
                    }
                } else {
                    pendingRegularInit++;
                }
            } else {
                pendingRegularInit++;
            }
        }
        for (Container c : spec.getContainers()) {
            ContainerStatus s = PodConditions.find(statuses, c.getName()).orElse(null);
            if (s == null) {
                unknown++;
            } else if (s.getState().getRunning() != null) {
                running++;
            } else if (s.getState().getTerminated() != null) {
                stopped++;
                if (s.getState().getTerminated().getExitCode() == 0) {
                    succeeded++;
                }
            } else if (s.getState().getWaiting() != null) {
                if (lastTerminated(s) != null) {
                    stopped++;
                } else {
                    waiting++;
                }
            } else {
                unknown++;
            }
        }
        if (failedInitialization > 0 && "Never".equals(restartPolicy)) {
            return FAILED;
        }
        if (pendingRegularInit > 0 || (pendingRestartableInit > 0 && !podHasInitialized)) {
            return PENDING;
        }
        if (waiting > 0) {
            return PENDING;
        }
        if (running > 0 && unknown == 0) {
            return RUNNING;
        }
        if (running == 0 && stopped > 0 && unknown == 0) {
            // All containers stopped: a terminal pod is decided by exit codes; otherwise by the restart policy.
            if (podIsTerminal) {
                return stopped == succeeded ? SUCCEEDED : FAILED;
            }
            if ("Always".equals(restartPolicy)) {
                return RUNNING;
            }
            if (stopped == succeeded) {
                return SUCCEEDED;
            }
            if ("Never".equals(restartPolicy)) {
                return FAILED;
            }
            return RUNNING;
        }
        return PENDING;
    }

    private static ContainerStateTerminated lastTerminated(ContainerStatus s) {
        return s.getLastState() == null ? null : s.getLastState().getTerminated();
    }

    static Instant nanos(long unixNanos) {
        return Instant.ofEpochSecond(0, unixNanos);
    }

    /** metav1.Time's wire form: RFC 3339 in UTC with whole seconds. */
    public static String rfc3339(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
    }
}
