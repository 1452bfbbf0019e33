package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What controllers ask of a pod (upstream podutil and controller_utils): its phase, readiness and availability as
 * the kubelet last reported them, and upstream's ActivePods order, the order in which pods are deleted first.
 */
final class PodStates {
    private PodStates() {}

    /** The kubelet's status for the pod, else the one it carries, else an empty (Pending) one. */
    static PodStatus status(Pod pod, ControllerView view) {
        String uid = pod.getMetadata().getUid();
        Optional<PodStatus> reported = uid == null ? Optional.empty() : view.podStatus(uid);
        return reported.orElseGet(() -> pod.getStatus() == null ? new PodStatus() : pod.getStatus());
    }

    static String phase(PodStatus s) {
        return s.getPhase() == null || s.getPhase().isEmpty() ? "Pending" : s.getPhase();
    }

    static boolean isTerminating(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() != null;
    }

    /** upstream controller.IsPodActive: not Succeeded, not Failed, not being deleted. */
    static boolean isActive(Pod pod, ControllerView view) {
        String phase = phase(status(pod, view));
        return !"Succeeded".equals(phase) && !"Failed".equals(phase) && !isTerminating(pod);
    }

    static boolean isReady(PodStatus s) {
        return readyCondition(s).map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    /** upstream podutil.IsPodAvailable: Ready for at least minReadySeconds. */
    static boolean isAvailable(PodStatus s, int minReadySeconds, Instant now) {
        if (!isReady(s)) {
            return false;
        }
        if (minReadySeconds <= 0) {
            return true;
        }
        return readySince(s).map(t -> !t.plusSeconds(minReadySeconds).isAfter(now)).orElse(false);
    }

    /** When the pod became Ready, for minReadySeconds. */
    static Optional<Instant> readySince(PodStatus s) {
        return readyCondition(s).flatMap(c -> Times.parse(c.getLastTransitionTime()));
    }

    static int restarts(PodStatus s) {
        int n = 0;
        for (List<ContainerStatus> list : List.of(nullSafe(s.getContainerStatuses()),
                nullSafe(s.getInitContainerStatuses()))) {
            for (ContainerStatus cs : list) {
                n += cs.getRestartCount() == null ? 0 : cs.getRestartCount();
            }
        }
        return n;
    }

    private static Optional<PodCondition> readyCondition(PodStatus s) {
        return nullSafe(s.getConditions()).stream().filter(c -> "Ready".equals(c.getType())).findFirst();
    }

    private static <T> List<T> nullSafe(List<T> l) {
        return l == null ? List.of() : l;
    }

    /**
     * upstream controller.ActivePods' Less: Pending before Unknown before Running, not ready before ready, ready
     * for less time before longer, more restarts before fewer, newer before older. The first pods are the ones to
     * delete. (Its first rule, unscheduled before scheduled, never applies on one node.)
     */
    static Comparator<Pod> deletionOrder(ControllerView view) {
        return (a, b) -> {
            PodStatus sa = status(a, view);
            PodStatus sb = status(b, view);
            int c = Integer.compare(phaseRank(phase(sa)), phaseRank(phase(sb)));
            if (c != 0) {
                return c;
            }
            boolean ra = isReady(sa);
            boolean rb = isReady(sb);
            if (ra != rb) {
                return ra ? 1 : -1;
            }
            if (ra) {
                Instant ta = readySince(sa).orElse(Instant.EPOCH);
                Instant tb = readySince(sb).orElse(Instant.EPOCH);
                if (!ta.equals(tb)) {
                    return tb.compareTo(ta);
                }
            }
            c = Integer.compare(restarts(sb), restarts(sa));
            if (c != 0) {
                return c;
            }
            Instant ca = Times.parse(a.getMetadata().getCreationTimestamp()).orElse(Instant.EPOCH);
            Instant cb = Times.parse(b.getMetadata().getCreationTimestamp()).orElse(Instant.EPOCH);
            c = cb.compareTo(ca);
            return c != 0 ? c : a.getMetadata().getName().compareTo(b.getMetadata().getName());
        };
    }

    private static int phaseRank(String phase) {
        return switch (phase) {
            case "Pending" -> 0;
            case "Unknown" -> 1;
            case "Running" -> 2;
            default -> 3;
        };
    }
}
