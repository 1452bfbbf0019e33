package dev.skiff.cli;

import dev.skiff.kubelet.server.PodTable;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** {@code kubectl get}'s columns for the workload kinds (pkg/printers/internalversion/printers.go). Pure. */
final class WorkloadTable {
    private WorkloadTable() {}

    static List<String> header(String kind) {
        return switch (kind) {
            case "StatefulSet" -> List.of("NAME", "READY", "AGE");
            case "Deployment" -> List.of("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE");
            case "ReplicaSet" -> List.of("NAME", "DESIRED", "CURRENT", "READY", "AGE");
            case "DaemonSet" -> List.of("NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE");
            case "Job" -> List.of("NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE");
            case "Service" -> List.of("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE");
            case "Pod" -> List.of("NAME", "READY", "STATUS", "RESTARTS", "AGE");
            default -> throw new IllegalArgumentException("no table for kind " + kind);
        };
    }

    /** The table; {@code withNamespace} adds kubectl's leading NAMESPACE column (-A). */
    static String format(String kind, List<? extends HasMetadata> items, Instant now, boolean withNamespace) {
        List<String[]> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(header(kind));
        if (withNamespace) {
            header.add(0, "NAMESPACE");
        }
        rows.add(header.toArray(String[]::new));
        for (HasMetadata o : items) {
            List<String> row = new ArrayList<>(row(o, now));
            if (withNamespace) {
                row.add(0, String.valueOf(o.getMetadata().getNamespace()));
            }
            rows.add(row.toArray(String[]::new));
        }
        return PodTable.layout(rows);
    }

    static List<String> row(HasMetadata o, Instant now) {
        String name = o.getMetadata().getName();
        String age = age(o.getMetadata().getCreationTimestamp(), now);
        if (o instanceof StatefulSet s) {
            int ready = s.getStatus() == null ? 0 : n(s.getStatus().getReadyReplicas());
            return List.of(name, ready + "/" + replicas(s.getSpec().getReplicas()), age);
        } else if (o instanceof Deployment d) {
            var st = d.getStatus();
            return List.of(name, (st == null ? 0 : n(st.getReadyReplicas())) + "/" + replicas(d.getSpec().getReplicas()),
                    Integer.toString(st == null ? 0 : n(st.getUpdatedReplicas())),
                    Integer.toString(st == null ? 0 : n(st.getAvailableReplicas())), age);
        } else if (o instanceof ReplicaSet r) {
            var st = r.getStatus();
            return List.of(name, Integer.toString(replicas(r.getSpec().getReplicas())),
                    Integer.toString(st == null ? 0 : n(st.getReplicas())),
                    Integer.toString(st == null ? 0 : n(st.getReadyReplicas())), age);
        } else if (o instanceof DaemonSet d) {
            var st = d.getStatus();
            Map<String, String> selector = d.getSpec().getTemplate() == null || d.getSpec().getTemplate().getSpec() == null
                    ? null : d.getSpec().getTemplate().getSpec().getNodeSelector();
            String nodeSelector = selector == null || selector.isEmpty() ? "<none>" : new TreeMap<>(selector).entrySet()
                    .stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
            return List.of(name, Integer.toString(st == null ? 0 : n(st.getDesiredNumberScheduled())),
                    Integer.toString(st == null ? 0 : n(st.getCurrentNumberScheduled())),
                    Integer.toString(st == null ? 0 : n(st.getNumberReady())),
                    Integer.toString(st == null ? 0 : n(st.getUpdatedNumberScheduled())),
                    Integer.toString(st == null ? 0 : n(st.getNumberAvailable())), nodeSelector, age);
        } else if (o instanceof Job j) {
            return List.of(name, jobStatus(j), completions(j), duration(j, now), age);
        } else if (o instanceof Service s) {
            return List.of(name, String.valueOf(s.getSpec().getType()),
                    s.getSpec().getClusterIP() == null || s.getSpec().getClusterIP().isEmpty() ? "<none>" : s.getSpec().getClusterIP(),
                    "<none>", ports(s.getSpec().getPorts()), age);
        } else if (o instanceof Pod p) {
            return List.of(PodTable.row(p, now));
        }
        throw new IllegalArgumentException("no table for kind " + o.getKind());
    }

    /** kubectl 1.28's Job STATUS: the terminal condition, else Suspended, else Running. */
    private static String jobStatus(Job j) {
        List<JobCondition> conditions = j.getStatus() == null || j.getStatus().getConditions() == null ? List.of()
                : j.getStatus().getConditions();
        for (String type : List.of("Complete", "Failed", "FailureTarget", "SuccessCriteriaMet")) {
            if (conditions.stream().anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))) {
                return type;
            }
        }
        if (conditions.stream().anyMatch(c -> "Suspended".equals(c.getType()) && "True".equals(c.getStatus()))) {
            return "Suspended";
        }
        return "Running";
    }

    private static String completions(Job j) {
        int succeeded = j.getStatus() == null ? 0 : n(j.getStatus().getSucceeded());
        if (j.getSpec().getCompletions() != null) {
            return succeeded + "/" + j.getSpec().getCompletions();
        }
        Integer parallelism = j.getSpec().getParallelism();
        return parallelism != null && parallelism > 1 ? succeeded + "/1 of " + parallelism : succeeded + "/1";
    }

    private static String duration(Job j, Instant now) {
        Optional<Instant> start = Optional.ofNullable(j.getStatus()).map(s -> s.getStartTime()).map(WorkloadTable::time);
        if (start.isEmpty()) {
            return "";
        }
        Instant end = Optional.ofNullable(j.getStatus().getCompletionTime()).map(WorkloadTable::time).orElse(now);
        return PodTable.humanDuration(Duration.between(start.get(), end));
    }

    private static String ports(List<ServicePort> ports) {
        if (ports == null || ports.isEmpty()) {
            return "<none>";
        }
        return ports.stream().map(p -> p.getPort() + (p.getNodePort() != null ? ":" + p.getNodePort() : "") + "/"
                + (p.getProtocol() == null ? "TCP" : p.getProtocol())).collect(Collectors.joining(","));
    }

    private static String age(String created, Instant now) {
        Instant t = created == null ? null : time(created);
        return t == null ? "<unknown>" : PodTable.humanDuration(Duration.between(t, now));
    }

    private static Instant time(String rfc3339) {
        try {
            return Instant.parse(rfc3339);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static int replicas(Integer r) {
        return r == null ? 1 : r;
    }

    private static int n(Integer i) {
        return i == null ? 0 : i;
    }
}
