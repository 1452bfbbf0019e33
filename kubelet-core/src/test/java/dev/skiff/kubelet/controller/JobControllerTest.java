package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobControllerTest {
    private final FakeCluster cluster = new FakeCluster();
    private final JobController controller = new JobController(new Random(5));

    private static Job job(String spec) {
        return Manifests.parse(Job.class, """
                apiVersion: batch/v1
                kind: Job
                metadata: {name: pi, namespace: batch}
                spec:
                %s
                  template:
                    spec:
                      restartPolicy: Never
                      containers: [{name: c, image: skiff-test/busybox:1}]
                """.formatted(spec));
    }

    private List<Pod> activePods() {
        return cluster.pods().stream().filter(p -> PodStates.isActive(p, cluster)).toList();
    }

    private static JobCondition condition(Job j, String type) {
        return j.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
    }

    @Test
    void completionsWithParallelism() {
        Job j = cluster.step(controller, job("  completions: 3\n  parallelism: 2"));
        assertEquals(2, activePods().size());
        Pod first = activePods().get(0);
        assertEquals("pi", first.getMetadata().getLabels().get("batch.kubernetes.io/job-name"));
        assertEquals("pi", first.getMetadata().getLabels().get("job-name"));
        assertEquals(j.getMetadata().getUid(), first.getMetadata().getLabels().get("batch.kubernetes.io/controller-uid"));
        assertEquals(j.getMetadata().getUid(), first.getMetadata().getLabels().get("controller-uid"));
        assertTrue(first.getMetadata().getName().startsWith("pi-"));
        activePods().forEach(p -> cluster.report(p, "Succeeded", false));
        j = cluster.step(controller, j);
        assertEquals(1, activePods().size(), "one completion left");
        assertEquals(2, j.getStatus().getSucceeded());
        activePods().forEach(p -> cluster.report(p, "Succeeded", false));
        j = cluster.step(controller, j);
        JobCondition complete = condition(j, "Complete");
        assertEquals("True", complete.getStatus());
        assertEquals(3, j.getStatus().getSucceeded());
        assertEquals(0, j.getStatus().getActive());
        assertTrue(j.getStatus().getCompletionTime() != null);
        assertTrue(controller.reconcile(j, cluster).isEmpty(), "a finished job makes nothing");
    }

    @Test
    void backoffLimitExhaustedFailsTheJobAfterTheBackOff() {
        Job j = cluster.step(controller, job("  backoffLimit: 1"));
        cluster.report(activePods().get(0), "Failed", false);
        j = cluster.step(controller, j);
        assertEquals(0, activePods().size(), "the replacement waits for the pod failure back-off");
        assertEquals(Optional.of(Duration.ofSeconds(10)), cluster.lastRequeue);
        cluster.tick(Duration.ofSeconds(10));
        j = cluster.step(controller, j);
        assertEquals(1, activePods().size());
        cluster.report(activePods().get(0), "Failed", false);
        j = cluster.step(controller, j);
        JobCondition failed = condition(j, "Failed");
        assertEquals("BackoffLimitExceeded", failed.getReason());
        assertEquals("Job has reached the specified backoff limit", failed.getMessage());
        assertEquals(2, j.getStatus().getFailed());
        assertEquals("Warning", cluster.events.get(cluster.events.size() - 1).type());
    }

    @Test
    void activeDeadlineDeletesRunningPods() {
        Job j = cluster.step(controller, job("  activeDeadlineSeconds: 5"));
        assertEquals(Optional.of(Duration.ofSeconds(5)), cluster.lastRequeue);
        cluster.tick(Duration.ofSeconds(5));
        j = cluster.step(controller, j);
        assertEquals("DeadlineExceeded", condition(j, "Failed").getReason());
        assertEquals("Job was active longer than specified deadline", condition(j, "Failed").getMessage());
        assertEquals(0, cluster.pods().size());
    }

    @Test
    void indexedPodsCarryTheirIndex() {
        Job j = cluster.step(controller, job("  completions: 3\n  parallelism: 2\n  completionMode: Indexed"));
        TreeSet<Integer> indexes = new TreeSet<>();
        for (Pod p : activePods()) {
            int i = JobController.index(p);
            indexes.add(i);
            assertEquals(String.valueOf(i), p.getMetadata().getLabels().get("batch.kubernetes.io/job-completion-index"));
            assertEquals("pi-" + i, p.getSpec().getHostname());
            assertTrue(p.getMetadata().getName().startsWith("pi-" + i + "-"));
            var env = p.getSpec().getContainers().get(0).getEnv().get(0);
            assertEquals("JOB_COMPLETION_INDEX", env.getName());
            assertEquals("metadata.annotations['batch.kubernetes.io/job-completion-index']",
                    env.getValueFrom().getFieldRef().getFieldPath());
        }
        assertEquals(new TreeSet<>(List.of(0, 1)), indexes);
        activePods().stream().filter(p -> JobController.index(p) == 1).forEach(p -> cluster.report(p, "Succeeded", false));
        j = cluster.step(controller, j);
        assertEquals("1", j.getStatus().getCompletedIndexes());
        assertEquals(new TreeSet<>(List.of(0, 2)),
                new TreeSet<>(activePods().stream().map(JobController::index).toList()));
        activePods().forEach(p -> cluster.report(p, "Succeeded", false));
        j = cluster.step(controller, j);
        assertEquals("0-2", j.getStatus().getCompletedIndexes());
        assertEquals("True", condition(j, "Complete").getStatus());
    }

    @Test
    void ttlAfterFinishedDeletesThePods() {
        Job j = cluster.step(controller, job("  ttlSecondsAfterFinished: 30"));
        activePods().forEach(p -> cluster.report(p, "Succeeded", false));
        j = cluster.step(controller, j);
        j = cluster.step(controller, j);
        assertEquals(1, cluster.pods().size(), "kept until the TTL");
        assertEquals(Optional.of(Duration.ofSeconds(30)), cluster.lastRequeue);
        cluster.tick(Duration.ofSeconds(30));
        cluster.step(controller, j);
        assertEquals(0, cluster.pods().size());
    }

    @Test
    void validationAsUpstream() {
        Job always = job("  completions: 1");
        always.getSpec().getTemplate().getSpec().setRestartPolicy(null);
        assertEquals(List.of("spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values:"
                + " \"OnFailure\", \"Never\""), controller.validate(always, Optional.empty()));
        Job before = job("  completions: 1");
        assertEquals(List.of(), controller.validate(before, Optional.empty()));
        Job edited = job("  completions: 1");
        edited.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("skiff-test/busybox:2");
        assertEquals(List.of("spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable"),
                controller.validate(edited, Optional.of(before)));
        assertEquals(List.of("spec.completions: Required value: when completion mode is Indexed"),
                controller.validate(job("  completionMode: Indexed"), Optional.empty()));
    }
}
