package dev.skiff.kubelet.metrics;

import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.ContainerStatusRequest;
import dev.skiff.cri.v1.ListPodSandboxRequest;
import dev.skiff.cri.v1.ListPodSandboxResponse;
import dev.skiff.cri.v1.PullImageRequest;
import dev.skiff.volume.VolumeOperationListener;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KubeletMetricsTest {
    /** Upstream's ExponentialBuckets(.005, 2.5, 14), written out. */
    private static final List<String> RUNTIME_BOUNDS = List.of("0.005", "0.0125", "0.03125", "0.078125", "0.1953125",
            "0.48828125", "1.220703125", "3.0517578125", "7.62939453125", "19.073486328125", "47.6837158203125",
            "119.20928955078125", "298.0232238769531", "745.0580596923828", "+Inf");

    private final KubeletMetrics metrics = KubeletMetrics.create("node-a", Map::of);

    private String text() {
        return MetricsText.of(metrics.registry());
    }

    /** The bucket bounds of one series, in order. */
    private List<String> bounds(String series) {
        Pattern p = Pattern.compile("^" + Pattern.quote(series) + "_bucket\\{(?:.*,)?le=\"([^\"]+)\"");
        return MetricsText.lines(metrics.registry()).stream().map(p::matcher).filter(Matcher::find)
                .map(m -> m.group(1)).toList();
    }

    @Test
    void helpTypesAndLabelsAreUpstreams() {
        metrics.plegRelisted(2_000_000);
        metrics.plegRelistInterval(1_000_000_000);
        metrics.podWorkerDone("sync", 5_000_000);
        metrics.podStarted(Duration.ofSeconds(3));
        metrics.startingPod();
        metrics.podStartFailed();
        metrics.startingContainer(false);
        metrics.startingContainer(true);
        metrics.containerStartFailed(false, "RunContainerError");
        String t = text();
        for (String line : List.of(
                "# HELP kubelet_node_name The node's name. The count is always 1.",
                "kubelet_node_name{node=\"node-a\"} 1.0",
                "# HELP kubelet_pleg_relist_duration_seconds Duration in seconds for relisting pods in PLEG.",
                "# TYPE kubelet_pleg_relist_duration_seconds histogram",
                "kubelet_pleg_relist_duration_seconds_count 1",
                "# HELP kubelet_pleg_relist_interval_seconds Interval in seconds between relisting in PLEG.",
                "kubelet_pleg_relist_interval_seconds_bucket{le=\"1.0\"} 1",
                "kubelet_pleg_relist_interval_seconds_bucket{le=\"0.5\"} 0",
                "# HELP kubelet_pod_worker_duration_seconds Duration in seconds to sync a single pod. Broken down by "
                        + "operation type: create, update, or sync",
                "kubelet_pod_worker_duration_seconds_count{operation_type=\"sync\"} 1",
                "# HELP kubelet_pod_start_duration_seconds Duration in seconds from kubelet seeing a pod for the first "
                        + "time to the pod starting to run",
                "kubelet_pod_start_duration_seconds_bucket{le=\"3.0\"} 1",
                "kubelet_pod_start_duration_seconds_bucket{le=\"2.0\"} 0",
                "# TYPE kubelet_started_pods_total counter",
                "# HELP kubelet_started_pods_total Cumulative number of pods started",
                "kubelet_started_pods_total 1.0",
                "kubelet_started_pods_errors_total 1.0",
                "kubelet_started_containers_total{container_type=\"container\"} 1.0",
                "kubelet_started_containers_total{container_type=\"init_container\"} 1.0",
                "kubelet_started_containers_errors_total{code=\"RunContainerError\",container_type=\"container\"} 1.0",
                "# TYPE kubelet_running_pods gauge",
                "kubelet_running_pods 0.0",
                "kubelet_running_containers{container_state=\"running\"} 0.0")) {
            assertTrue(t.contains(line + "\n"), line + "\n---\n" + t);
        }
    }

    @Test
    void bucketsAreUpstreams() {
        metrics.plegRelisted(1);
        metrics.podStarted(Duration.ofSeconds(1));
        metrics.runtimeOperations().call("version", () -> null);
        metrics.volumeOperations().operationCompleted("kubernetes.io/empty-dir", "volume_mount", true, 1);
        assertEquals(List.of("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"),
                bounds("kubelet_pleg_relist_duration_seconds"));
        assertEquals(List.of("0.5", "1.0", "2.0", "3.0", "4.0", "5.0", "6.0", "8.0", "10.0", "20.0", "30.0", "45.0",
                "60.0", "120.0", "180.0", "240.0", "300.0", "360.0", "480.0", "600.0", "900.0", "1200.0", "1800.0",
                "2700.0", "3600.0", "+Inf"), bounds("kubelet_pod_start_duration_seconds"));
        assertEquals(RUNTIME_BOUNDS, bounds("kubelet_runtime_operations_duration_seconds"));
        assertEquals(List.of("0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "15.0", "25.0", "50.0", "120.0", "300.0",
                "600.0", "+Inf"), bounds("storage_operation_duration_seconds"));
    }

    @Test
    void storageOperationsCarryPluginOperationStatusAndMigrated() {
        VolumeOperationListener l = metrics.volumeOperations();
        l.operationCompleted("kubernetes.io/configmap", VolumeOperationListener.VOLUME_MOUNT, true, 50_000_000);
        l.operationCompleted("kubernetes.io/host-path", VolumeOperationListener.VOLUME_UNMOUNT, false, 1);
        String t = text();
        assertTrue(t.contains("# HELP storage_operation_duration_seconds Storage operation duration\n"), t);
        assertTrue(t.contains("storage_operation_duration_seconds_count{migrated=\"false\",operation_name=\"volume_mount\","
                + "status=\"success\",volume_plugin=\"kubernetes.io/configmap\"} 1\n"), t);
        assertTrue(t.contains("storage_operation_duration_seconds_count{migrated=\"false\",operation_name=\"volume_unmount\","
                + "status=\"fail-unknown\",volume_plugin=\"kubernetes.io/host-path\"} 1\n"), t);
    }

    @Test
    void everyRuntimeCallIsCountedByItsOperationAndFailuresApart() {
        CriRuntime cri = metrics.instrument(fakeCri());
        cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
        cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> cri.runtime().containerStatus(ContainerStatusRequest.getDefaultInstance()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), "the failure passes through unchanged");
        assertThrows(StatusRuntimeException.class, () -> cri.images().pullImage(PullImageRequest.getDefaultInstance()));
        String t = text();
        assertTrue(t.contains("kubelet_runtime_operations_total{operation_type=\"list_podsandbox\"} 2.0\n"), t);
        assertTrue(t.contains("kubelet_runtime_operations_duration_seconds_count{operation_type=\"list_podsandbox\"} 2\n"), t);
        assertTrue(t.contains("kubelet_runtime_operations_total{operation_type=\"container_status\"} 1.0\n"), t);
        assertTrue(t.contains("kubelet_runtime_operations_errors_total{operation_type=\"container_status\"} 1.0\n"), t);
        assertTrue(t.contains("kubelet_runtime_operations_errors_total{operation_type=\"pull_image\"} 1.0\n"), t);
        assertTrue(!t.contains("kubelet_runtime_operations_errors_total{operation_type=\"list_podsandbox\"}"), t);
        assertTrue(t.contains("# HELP kubelet_runtime_operations_total Cumulative number of runtime operations by "
                + "operation type.\n"), t);
        assertTrue(t.contains("# HELP kubelet_runtime_operations_errors_total Cumulative number of runtime operation "
                + "errors by operation type.\n"), t);
    }

    /** Each CRI method has its own operation_type, in upstream's snake case. */
    @Test
    void everyCriMethodHasItsOwnOperationType() throws Exception {
        CriRuntime cri = metrics.instrument(fakeCri());
        int calls = 0;
        for (Object service : List.of(cri.runtime(), cri.images())) {
            Class<?> type = service instanceof RuntimeService ? RuntimeService.class : ImageService.class;
            for (Method m : type.getMethods()) {
                Object[] args = new Object[m.getParameterCount()];
                args[0] = m.getParameterTypes()[0].getMethod("getDefaultInstance").invoke(null);
                try {
                    m.invoke(service, args);
                } catch (InvocationTargetException expected) {
                    // the fake fails what it does not implement; still counted
                }
                calls++;
            }
        }
        Pattern op = Pattern.compile("^kubelet_runtime_operations_total\\{operation_type=\"([a-z_]+)\"} 1\\.0$");
        Set<String> ops = MetricsText.lines(metrics.registry()).stream().map(op::matcher).filter(Matcher::find)
                .map(m -> m.group(1)).collect(Collectors.toCollection(HashSet::new));
        assertEquals(calls, ops.size(), ops.toString());
        assertTrue(ops.containsAll(Set.of("version", "run_podsandbox", "stop_podsandbox", "remove_podsandbox",
                "podsandbox_status", "list_podsandbox", "create_container", "start_container", "stop_container",
                "remove_container", "list_containers", "container_status", "update_container", "reopen_container_log",
                "exec_sync", "exec", "attach", "port_forward", "container_stats", "list_container_stats",
                "podsandbox_stats", "list_podsandbox_stats", "update_runtime_config", "status", "list_images",
                "image_status", "pull_image", "remove_image", "image_fs_info")), ops.toString());
    }

    @Test
    void jvmAndProcessMetricsAreThere() {
        String t = text();
        for (String name : List.of("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                "process_start_time_seconds", "jvm_memory_used_bytes", "jvm_threads_current")) {
            assertTrue(t.contains("\n" + name + " ") || t.contains("\n" + name + "{"), name + "\n" + t);
        }
    }

    /** listPodSandbox answers; everything else fails with NOT_FOUND. */
    static CriRuntime fakeCri() {
        Object runtime = Proxy.newProxyInstance(KubeletMetricsTest.class.getClassLoader(),
                new Class<?>[]{RuntimeService.class, ImageService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("listPodSandbox")) {
                        return ListPodSandboxResponse.getDefaultInstance();
                    }
                    throw Status.NOT_FOUND.withDescription(method.getName()).asRuntimeException();
                });
        return new CriRuntime() {
            @Override
            public RuntimeService runtime() {
                return (RuntimeService) runtime;
            }

            @Override
            public ImageService images() {
                return (ImageService) runtime;
            }

            @Override
            public void close() {
            }
        };
    }
}
