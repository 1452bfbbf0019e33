package dev.skiff.kubelet.status;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pod's QoS class by upstream's GetPodQOS (pkg/apis/core/v1/helper/qos): only cpu and memory count;
 * no non-zero request or limit anywhere → BestEffort; every container limits both cpu and memory and
 * the summed requests equal the summed limits → Guaranteed; anything else → Burstable.
 */
public final class PodQos {
    public static final String GUARANTEED = "Guaranteed";
    public static final String BURSTABLE = "Burstable";
    public static final String BEST_EFFORT = "BestEffort";

    private static final Set<String> COMPUTE = Set.of("cpu", "memory");

    private PodQos() {
    }

    public static String of(Pod pod) {
        if (pod.getStatus() != null && pod.getStatus().getQosClass() != null && !pod.getStatus().getQosClass().isEmpty()) {
            // Upstream: the class is fixed once set, so a resize never changes it.
            return pod.getStatus().getQosClass();
        }
        return compute(pod);
    }

    /** The class from the spec alone, ignoring any status already present. */
    public static String compute(Pod pod) {
        List<Container> all = new ArrayList<>();
        if (pod.getSpec().getContainers() != null) {
            all.addAll(pod.getSpec().getContainers());
        }
        if (pod.getSpec().getInitContainers() != null) {
            all.addAll(pod.getSpec().getInitContainers());
        }
        Map<String, BigDecimal> requests = new HashMap<>();
        Map<String, BigDecimal> limits = new HashMap<>();
        boolean guaranteed = true;
        for (Container c : all) {
            ResourceRequirements r = c.getResources();
            Map<String, Quantity> req = r == null || r.getRequests() == null ? Map.of() : r.getRequests();
            Map<String, Quantity> lim = r == null || r.getLimits() == null ? Map.of() : r.getLimits();
            addNonZero(req, requests, null);
            Set<String> limitsFound = new HashSet<>();
            addNonZero(lim, limits, limitsFound);
            if (!limitsFound.containsAll(COMPUTE)) {
                guaranteed = false;
            }
        }
        if (requests.isEmpty() && limits.isEmpty()) {
            return BEST_EFFORT;
        }
        if (guaranteed) {
            for (Map.Entry<String, BigDecimal> e : requests.entrySet()) {
                BigDecimal l = limits.get(e.getKey());
                if (l == null || l.compareTo(e.getValue()) != 0) {
                    guaranteed = false;
                    break;
                }
            }
        }
        return guaranteed && requests.size() == limits.size() ? GUARANTEED : BURSTABLE;
    }

    private static void addNonZero(Map<String, Quantity> in, Map<String, BigDecimal> sum, Set<String> found) {
        for (Map.Entry<String, Quantity> e : in.entrySet()) {
            if (!COMPUTE.contains(e.getKey()) || e.getValue() == null) {
                continue;
            }
            BigDecimal v = Quantity.getAmountInBytes(e.getValue());
            if (v.signum() == 0) {
                continue;
            }
            if (found != null) {
                found.add(e.getKey());
            }
            sum.merge(e.getKey(), v, BigDecimal::add);
        }
    }
}
