package dev.skiff.kubelet.metrics;

import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.pleg.RuntimePod;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Collection;
import java.util.Map;
import java.util.function.Supplier;

/**
 * kubelet_running_pods and kubelet_running_containers{container_state}, counted at scrape time from the PLEG's
 * latest relist (as upstream's PLEG sets them after each relist): no bookkeeping between scrapes.
 */
final class RunningPods {
    /** Upstream's kubecontainer.State values, in the order of the CRI ContainerState enum. */
    static final String[] CONTAINER_STATES = {"created", "running", "exited", "unknown"};

    private RunningPods() {
    }

    static void register(PrometheusRegistry registry, Supplier<Map<String, RuntimePod>> pods) {
        GaugeWithCallback.builder().name("kubelet_running_pods")
                .help("Number of pods that have a running pod sandbox")
                .callback(cb -> cb.call(runningPods(pods.get().values())))
                .register(registry);
        GaugeWithCallback.builder().name("kubelet_running_containers")
                .help("Number of containers currently running")
                .labelNames("container_state")
                .callback(cb -> {
                    long[] counts = containersByState(pods.get().values());
                    for (int i = 0; i < CONTAINER_STATES.length; i++) {
                        cb.call(counts[i], CONTAINER_STATES[i]);
                    }
                })
                .register(registry);
    }

    /** Pods with a ready sandbox (one counts once, however many sandboxes it has). */
    static long runningPods(Collection<RuntimePod> pods) {
        long n = 0;
        for (RuntimePod p : pods) {
            for (PodSandbox s : p.sandboxes()) {
                if (s.getState() == PodSandboxState.SANDBOX_READY) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    /** Containers per state, indexed as {@link #CONTAINER_STATES}. */
    static long[] containersByState(Collection<RuntimePod> pods) {
        long[] counts = new long[CONTAINER_STATES.length];
        for (RuntimePod p : pods) {
            for (Container c : p.containers()) {
                int state = c.getStateValue();
                counts[state >= 0 && state < 3 ? state : 3]++;
            }
        }
        return counts;
    }
}
