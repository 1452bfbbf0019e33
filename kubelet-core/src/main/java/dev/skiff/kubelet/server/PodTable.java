package dev.skiff.kubelet.server;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pods as {@code kubectl get pods} prints them: NAME READY STATUS RESTARTS AGE, with kubectl's rules
 * (printPod in pkg/printers/internalversion/printers.go) for READY, STATUS (Init:…, waiting and
 * terminated reasons, Completed → Running/NotReady while a container still runs, Terminating),
 * RESTARTS ("3 (2m ago)") and AGE (apimachinery HumanDuration), laid out as its tabwriter does
 * (kubectl's tabwriter: cells padded by 3 spaces, columns at least 6 wide). Pure.
 */
public final class PodTable {
    private static final int MIN_WIDTH = 6;
    private static final int PADDING = 3;
    private static final String[] HEADER = {"NAME", "READY", "STATUS", "RESTARTS", "AGE"};

    private PodTable() {
    }

    /** The table for {@code pods} at time {@code now}; "No resources found" when empty (as kubectl says on stderr). */
    public static String format(List<Pod> pods, Instant now) {
        if (pods.isEmpty()) {
            return "No resources found\n";
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (Pod p : pods) {
            rows.add(row(p, now));
        }
        return layout(rows);
    }

    /** Rows (the header first) laid out as kubectl's tabwriter lays out {@code kubectl get}'s table. */
    public static String layout(List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], Math.max(r[i].length() + PADDING, MIN_WIDTH));
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                b.append(r[i]);
                if (i < r.length - 1) {
                    b.append(" ".repeat(width[i] - r[i].length()));
                }
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** One row: name, ready, status, restarts, age. */
    public static String[] row(Pod pod, Instant now) {
        PodStatus st = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        List<Container> inits = pod.getSpec().getInitContainers() == null ? List.of() : pod.getSpec().getInitContainers();
        Map<String, Container> initByName = new HashMap<>();
        int total = pod.getSpec().getContainers().size();
        for (Container c : inits) {
            initByName.put(c.getName(), c);
            if (restartable(c)) {
                total++;
            }
        }
        int ready = 0;
        int restarts = 0;
        int sidecarRestarts = 0;
        Instant lastRestart = null;
        Instant lastSidecarRestart = null;
        String phase = st.getPhase() == null ? "" : st.getPhase();
        String reason = st.getReason() != null && !st.getReason().isEmpty() ? st.getReason() : phase;

        boolean initializing = false;
        List<ContainerStatus> initStatuses = st.getInitContainerStatuses() == null ? List.of() : st.getInitContainerStatuses();
        for (int i = 0; i < initStatuses.size(); i++) {
            ContainerStatus c = initStatuses.get(i);
            restarts += count(c);
            Instant finished = lastFinished(c);
            lastRestart = later(lastRestart, finished);
            boolean sidecar = restartable(initByName.get(c.getName()));
            if (sidecar) {
                sidecarRestarts += count(c);
                lastSidecarRestart = later(lastSidecarRestart, finished);
            }
            ContainerStateTerminated t = c.getState() == null ? null : c.getState().getTerminated();
            if (t != null && exit(t) == 0) {
                continue;
            }
            if (sidecar && Boolean.TRUE.equals(c.getStarted())) {
                if (Boolean.TRUE.equals(c.getReady())) {
                    ready++;
                }
                continue;
            }
            if (t != null) {
                reason = t.getReason() == null || t.getReason().isEmpty()
                        ? (t.getSignal() != null && t.getSignal() != 0 ? "Init:Signal:" + t.getSignal() : "Init:ExitCode:" + exit(t))
                        : "Init:" + t.getReason();
            } else if (c.getState() != null && c.getState().getWaiting() != null && nonEmpty(c.getState().getWaiting().getReason())
                    && !"PodInitializing".equals(c.getState().getWaiting().getReason())) {
                reason = "Init:" + c.getState().getWaiting().getReason();
            } else {
                reason = "Init:" + i + "/" + inits.size();
            }
            initializing = true;
            break;
        }

        if (!initializing || conditionTrue(st, "Initialized")) {
            restarts = sidecarRestarts;
            lastRestart = lastSidecarRestart;
            boolean hasRunning = false;
            List<ContainerStatus> statuses = st.getContainerStatuses() == null ? List.of() : st.getContainerStatuses();
            for (int i = statuses.size() - 1; i >= 0; i--) {
                ContainerStatus c = statuses.get(i);
                restarts += count(c);
                lastRestart = later(lastRestart, lastFinished(c));
                var s = c.getState();
                if (s != null && s.getWaiting() != null && nonEmpty(s.getWaiting().getReason())) {
                    reason = s.getWaiting().getReason();
                } else if (s != null && s.getTerminated() != null && nonEmpty(s.getTerminated().getReason())) {
                    reason = s.getTerminated().getReason();
                } else if (s != null && s.getTerminated() != null) {
                    ContainerStateTerminated t = s.getTerminated();
                    reason = t.getSignal() != null && t.getSignal() != 0 ? "Signal:" + t.getSignal() : "ExitCode:" + exit(t);
                } else if (Boolean.TRUE.equals(c.getReady()) && s != null && s.getRunning() != null) {
                    hasRunning = true;
                    ready++;
                }
            }
            if ("Completed".equals(reason) && hasRunning) {
                reason = conditionTrue(st, "Ready") ? "Running" : "NotReady";
            }
        }
        boolean terminal = "Succeeded".equals(phase) || "Failed".equals(phase);
        if (pod.getMetadata().getDeletionTimestamp() != null && "NodeLost".equals(st.getReason())) {
            reason = "Unknown";
        } else if (pod.getMetadata().getDeletionTimestamp() != null && !terminal) {
            reason = "Terminating";
        }
        String restartsText = Integer.toString(restarts);
        if (restarts != 0 && lastRestart != null) {
            restartsText = restarts + " (" + humanDuration(Duration.between(lastRestart, now)) + " ago)";
        }
        Instant created = time(pod.getMetadata().getCreationTimestamp());
        if (created == null) {
            // Static pods have no API server to stamp creation; the kubelet's start time is the nearest.
            created = time(st.getStartTime());
        }
        String age = created == null ? "<unknown>" : humanDuration(Duration.between(created, now));
        return new String[]{pod.getMetadata().getName(), ready + "/" + total, reason, restartsText, age};
    }

    /** apimachinery's duration.HumanDuration: 5s, 3m20s, 15m, 2h30m, 10h, 3d4h, 30d, 2y10d. */
    public static String humanDuration(Duration d) {
        long seconds = d.getSeconds() < 0 && d.getNano() > 0 ? d.getSeconds() + 1 : d.getSeconds(); // truncate toward 0
        if (seconds < -1) {
            return "<invalid>";
        } else if (seconds < 0) {
            return "0s";
        } else if (seconds < 60 * 2) {
            return seconds + "s";
        }
        long minutes = seconds / 60;
        if (minutes < 10) {
            long s = seconds % 60;
            return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
        } else if (minutes < 60 * 3) {
            return minutes + "m";
        }
        long hours = seconds / 3600;
        if (hours < 8) {
            long m = minutes % 60;
            return m == 0 ? hours + "h" : hours + "h" + m + "m";
        } else if (hours < 48) {
            return hours + "h";
        } else if (hours < 24 * 8) {
            long h = hours % 24;
            return h == 0 ? (hours / 24) + "d" : (hours / 24) + "d" + h + "h";
        } else if (hours < 24 * 365 * 2) {
            return (hours / 24) + "d";
        } else if (hours < 24 * 365 * 8) {
            long dy = (hours / 24) % 365;
            return dy == 0 ? (hours / 24 / 365) + "y" : (hours / 24 / 365) + "y" + dy + "d";
        }
        return (hours / 24 / 365) + "y";
    }

    private static boolean restartable(Container c) {
        return c != null && "Always".equals(c.getRestartPolicy());
    }

    private static int count(ContainerStatus c) {
        return c.getRestartCount() == null ? 0 : c.getRestartCount();
    }

    private static int exit(ContainerStateTerminated t) {
        return t.getExitCode() == null ? 0 : t.getExitCode();
    }

    private static Instant lastFinished(ContainerStatus c) {
        if (c.getLastState() == null || c.getLastState().getTerminated() == null) {
            return null;
        }
        return time(c.getLastState().getTerminated().getFinishedAt());
    }

    private static Instant later(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b != null && b.isAfter(a) ? b : a;
    }

    private static boolean conditionTrue(PodStatus st, String type) {
        if (st.getConditions() == null) {
            return false;
        }
        for (PodCondition c : st.getConditions()) {
            if (type.equals(c.getType())) {
                return "True".equals(c.getStatus());
            }
        }
        return false;
    }

    private static boolean nonEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    /** An RFC 3339 time of the API, null when absent or not one. */
    public static Instant time(String rfc3339) {
        if (rfc3339 == null || rfc3339.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(rfc3339);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
