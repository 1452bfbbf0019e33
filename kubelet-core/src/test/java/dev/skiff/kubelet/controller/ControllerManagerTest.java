package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControllerManagerTest {
    @TempDir
    Path dir;

    /** A tiny controller for the manager's sake: keeps spec.parallelism pods named by generateName. */
    static final class CountingController implements WorkloadController {
        @Override
        public String kind() {
            return "Job";
        }

        @Override
        public List<String> validate(HasMetadata workload, Optional<HasMetadata> previous) {
            Job job = (Job) workload;
            List<String> errors = new ArrayList<>();
            if (job.getSpec().getParallelism() < 0) {
                errors.add("spec.parallelism: Invalid value: " + job.getSpec().getParallelism()
                        + ": must be greater than or equal to 0");
            }
            previous.map(Job.class::cast).filter(p -> !Objects.equals(p.getSpec().getTemplate(), job.getSpec().getTemplate()))
                    .ifPresent(p -> errors.add("spec.template: Invalid value: ...: field is immutable"));
            return errors;
        }

        @Override
        public Reconciliation reconcile(HasMetadata workload, ControllerView view) {
            Job job = (Job) workload;
            List<Pod> pods = view.owned(Pod.class, job.getMetadata().getUid()).stream()
                    .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
            int want = job.getSpec().getParallelism();
            List<HasMetadata> create = new ArrayList<>();
            List<ObjectRef> delete = new ArrayList<>();
            if (pods.size() < want) {
                create.add(new PodBuilder().withNewMetadata().withGenerateName(job.getMetadata().getName() + "-")
                        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
                                .withName(job.getMetadata().getName()).withUid(job.getMetadata().getUid())
                                .withController(true).build())
                        .endMetadata().withSpec(job.getSpec().getTemplate().getSpec()).build());
            } else if (pods.size() > want) {
                delete.add(ObjectRef.of(pods.get(pods.size() - 1)));
            }
            Job status = new JobBuilder(job).withNewStatus().withActive(pods.size()).endStatus().build();
            return new Reconciliation(create, List.of(), delete, status, List.of(), Optional.empty());
        }
    }

    private final ManagerFixture cluster = new ManagerFixture();
    private final Map<String, List<HasMetadata>> manifests = cluster.manifests;
    private final Map<String, PodStatus> statuses = cluster.statuses;

    private ControllerManager manager() {
        return cluster.manager(dir.resolve("controllers"), new CountingController());
    }

    private static Job job(String name, int parallelism, String image) {
        return new JobBuilder().withApiVersion("batch/v1").withKind("Job").withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withParallelism(parallelism).withNewTemplate().withNewSpec().addNewContainer()
                .withName("c").withImage(image).endContainer().withRestartPolicy("Never").endSpec().endTemplate()
                .endSpec().build();
    }

    @Test
    void createsNamedPodsWithUidsDefaultsAndPersistsThemAcrossARestart() throws Exception {
        ControllerManager m = manager();
        m.start();
        m.close();
        assertEquals(List.of(), cluster.pods, "the source is delivered, empty, at start");
        manifests.put("Job", List.of(job("pi", 2, "skiff-test/busybox:1")));
        m.pass(true);
        assertEquals(2, cluster.pods.size());
        for (Pod p : cluster.pods) {
            assertTrue(p.getMetadata().getName().matches("pi-[bcdfghjklmnpqrstvwxz2456789]{5}"), p.getMetadata().getName());
            assertEquals(36, p.getMetadata().getUid().length());
            assertEquals("default", p.getMetadata().getNamespace());
            assertEquals("node-a", p.getSpec().getNodeName());
            assertEquals("ClusterFirst", p.getSpec().getDnsPolicy(), "pod defaults applied");
            assertNotNull(p.getMetadata().getCreationTimestamp());
        }
        HasMetadata accepted = m.snapshot().workloads("Job").get(0);
        assertEquals(ObjectNames.workloadUid("Job", "default", "pi"), accepted.getMetadata().getUid());
        assertEquals(2, ((Job) accepted).getStatus().getActive());
        assertEquals(1L, accepted.getMetadata().getGeneration());

        List<Pod> before = cluster.pods;
        cluster.pods = null;
        ControllerManager restarted = manager();
        restarted.start();
        restarted.close();
        assertEquals(before, cluster.pods, "the persisted pods are handed over before the manifests are read");
        restarted.pass(true);
        assertEquals(before, cluster.pods, "nothing new is made after a restart");
    }

    @Test
    void aDeletedPodStaysTerminatingUntilTheKubeletHasNoStatusForIt() throws Exception {
        ControllerManager m = manager();
        manifests.put("Job", List.of(job("pi", 2, "img")));
        m.pass(true);
        cluster.pods.forEach(p -> statuses.put(p.getMetadata().getUid(), new PodStatusBuilder().withPhase("Running").build()));
        manifests.put("Job", List.of(job("pi", 1, "img")));
        m.pass(true);
        assertEquals(1, cluster.pods.size(), "the deleted pod is no longer handed to the kubelet");
        assertEquals(2, m.snapshot().objects(Pod.class).size(), "but it stays while the kubelet still has it");
        Pod terminating = m.snapshot().objects(Pod.class).stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() != null).findFirst().orElseThrow();
        assertEquals("2026-12-07T10:00:30Z", terminating.getMetadata().getDeletionTimestamp());
        assertEquals(2L, m.snapshot().workloads("Job").get(0).getMetadata().getGeneration());
        statuses.remove(terminating.getMetadata().getUid());
        m.pass(true);
        assertEquals(1, m.snapshot().objects(Pod.class).size(), "forgotten once the kubelet is done with it");
    }

    @Test
    void removingTheWorkloadDeletesWhatItOwns() throws Exception {
        ControllerManager m = manager();
        manifests.put("Job", List.of(job("pi", 2, "img")));
        m.pass(true);
        manifests.put("Job", List.of());
        m.pass(true);
        assertEquals(List.of(), cluster.pods);
        assertEquals(List.of(), m.snapshot().workloads());
        assertEquals(List.of(), m.snapshot().objects(Pod.class), "pods without a status are gone at once");
    }

    @Test
    void anInvalidEditIsListedAndThePreviousVersionStaysInForce() throws Exception {
        ControllerManager m = manager();
        manifests.put("Job", List.of(job("pi", 1, "img"), job("other", 1, "img")));
        m.pass(true);
        manifests.put("Job", List.of(job("pi", 1, "changed"), job("other", 2, "img")));
        m.pass(true);
        assertEquals(1, m.errors().size());
        assertEquals("Job/default/pi", m.errors().get(0).object());
        assertTrue(m.errors().get(0).reason().startsWith("invalid Job: spec.template: Invalid value: ...: field is immutable"),
                m.errors().get(0).reason());
        assertEquals(3, cluster.pods.size(), "pi keeps its pod; other grows to 2");
        Job pi = (Job) m.snapshot().workloads("Job").stream().filter(j -> j.getMetadata().getName().equals("pi"))
                .findFirst().orElseThrow();
        assertEquals("img", pi.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        manifests.put("Job", List.of(job("pi", 1, "img"), job("other", 2, "img")));
        m.pass(true);
        assertEquals(List.of(), m.errors());
    }

    @Test
    void nothingIsAcceptedOrCollectedBeforeTheManifestsWereRead() throws Exception {
        ControllerManager m = manager();
        manifests.put("Job", List.of(job("pi", 2, "img")));
        m.pass(true);
        manifests.put("Job", List.of());
        m.pass(false);
        assertEquals(2, cluster.pods.size());
    }

    @Test
    void aCorruptStateFileIsAnErrorNamingIt() throws Exception {
        Files.createDirectories(dir.resolve("controllers"));
        Files.writeString(dir.resolve("controllers/state.json"), "{\"version\": 1, \"objects\": [{\"kind\": \"Secret\"}]}");
        Exception e = assertThrows(java.io.IOException.class, () -> manager().start());
        assertTrue(e.getMessage().contains("state.json") && e.getMessage().contains("Secret"), e.getMessage());
        assertNull(cluster.claims);
        assertFalse(e.getMessage().contains("{"), "no file content echoed");
    }
}
