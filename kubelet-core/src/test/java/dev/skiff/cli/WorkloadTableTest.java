package dev.skiff.cli;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WorkloadTableTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:05:00Z");

    @Test
    void statefulSetsAsKubectlPrintsThem() {
        var web = new StatefulSetBuilder().withNewMetadata().withName("web").withNamespace("default")
                .withCreationTimestamp("2026-12-07T10:00:00Z").endMetadata().withNewSpec().withReplicas(3).endSpec()
                .withNewStatus().withReadyReplicas(2).endStatus().build();
        assertEquals("NAME   READY   AGE\nweb    2/3     5m\n", WorkloadTable.format("StatefulSet", List.of(web), NOW, false));
    }

    @Test
    void headlessServicesAndJobs() {
        var svc = new ServiceBuilder().withNewMetadata().withName("nginx").withNamespace("default").endMetadata()
                .withNewSpec().withType("ClusterIP").withClusterIP("None").addNewPort().withPort(80).withProtocol("TCP")
                .endPort().endSpec().build();
        assertEquals(List.of("nginx", "ClusterIP", "None", "<none>", "80/TCP", "<unknown>"), WorkloadTable.row(svc, NOW));
        var job = new JobBuilder().withNewMetadata().withName("pi").withCreationTimestamp("2026-12-07T10:00:00Z")
                .endMetadata().withNewSpec().withCompletions(3).endSpec().withNewStatus().withSucceeded(3)
                .withStartTime("2026-12-07T10:00:00Z").withCompletionTime("2026-12-07T10:00:42Z").addNewCondition()
                .withType("Complete").withStatus("True").endCondition().endStatus().build();
        assertEquals(List.of("pi", "Complete", "3/3", "42s", "5m"), WorkloadTable.row(job, NOW));
    }
}
