package dev.skiff.kubelet.status;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PodQosTest {
    private static Pod pod(Map<String, String> requests, Map<String, String> limits) {
        ResourceRequirementsBuilder r = new ResourceRequirementsBuilder();
        requests.forEach((k, v) -> r.addToRequests(k, new Quantity(v)));
        limits.forEach((k, v) -> r.addToLimits(k, new Quantity(v)));
        return new PodBuilder().withNewMetadata().withName("p").endMetadata().withNewSpec()
                .addNewContainer().withName("c").withResources(r.build()).endContainer().endSpec().build();
    }

    @Test
    void noResourcesIsBestEffort() {
        assertEquals("BestEffort", PodQos.of(pod(Map.of(), Map.of())));
        assertEquals("BestEffort", PodQos.of(pod(Map.of("cpu", "0"), Map.of())), "zero quantities do not count");
    }

    @Test
    void equalCpuAndMemoryLimitsAndRequestsIsGuaranteed() {
        assertEquals("Guaranteed", PodQos.of(pod(Map.of("cpu", "1", "memory", "128Mi"), Map.of("cpu", "1000m", "memory", "134217728"))));
    }

    @Test
    void anythingElseIsBurstable() {
        assertEquals("Burstable", PodQos.of(pod(Map.of("cpu", "100m"), Map.of())));
        assertEquals("Burstable", PodQos.of(pod(Map.of("cpu", "100m", "memory", "64Mi"), Map.of("cpu", "200m", "memory", "64Mi"))));
        assertEquals("Burstable", PodQos.of(pod(Map.of("cpu", "1"), Map.of("cpu", "1"))), "memory limit missing");
    }

    @Test
    void otherResourcesDoNotCount() {
        assertEquals("BestEffort", PodQos.of(pod(Map.of("ephemeral-storage", "1Gi"), Map.of())));
    }

    @Test
    void everyContainerMustLimitBoth() {
        Pod p = new PodBuilder(pod(Map.of("cpu", "1", "memory", "1Gi"), Map.of("cpu", "1", "memory", "1Gi")))
                .editSpec().addNewContainer().withName("other").endContainer().endSpec().build();
        assertEquals("Burstable", PodQos.of(p));
    }

    @Test
    void anExistingClassIsKept() {
        Pod p = new PodBuilder(pod(Map.of(), Map.of())).withNewStatus().withQosClass("Burstable").endStatus().build();
        assertEquals("Burstable", PodQos.of(p));
        assertEquals("BestEffort", PodQos.compute(p));
    }
}
