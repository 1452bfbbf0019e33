package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deployments, Jobs and DaemonSets from the manifest directory on real Docker: a Deployment scaled 2 → 3 → 1; a
 * rollout with maxUnavailable 0 that never drops below the replicas ready, then a broken image that stops the next
 * rollout (ProgressDeadlineExceeded) with the old pods kept; Jobs that complete (parallelism, Indexed) or fail
 * (BackoffLimitExceeded); a DaemonSet per node-label match; a Deployment with replicas -1 refused with upstream's
 * message while another runs.
 */
class WorkloadControllersIT extends KubeletItSupport {
    private static final Duration WAIT = Duration.ofMinutes(3);

    /** A process that ends on SIGTERM (busybox sh as pid 1 would ignore it). */
    private static final String SERVE = "trap 'exit 0' TERM; while true; do sleep 1; done";

    @Override
    String[] kubeletArgs() {
        return new String[] {"--node-labels", "disktype=ssd"};
    }

    // ---- manifests ----

    /** A template's spec lines (6 spaces in): one container {@code main} running {@code sh -c script}. */
    private static String podSpec(String podImage, String script, String extra) {
        return """
                terminationGracePeriodSeconds: 1
                dnsPolicy: Default
                containers:
                - name: main
                  image: %s
                  imagePullPolicy: Never
                  command: [sh, -c, %s]
                """.formatted(podImage, quote(script)).concat(extra).indent(6);
    }

    /** Ready at once (exec probe {@code true}); {@code version} is a template annotation, so a new one rolls out. */
    private String deployment(String name, int replicas, String version, String podImage, String strategy) {
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: %s, namespace: %s}
                spec:
                  replicas: %d
                  progressDeadlineSeconds: 10
                  selector: {matchLabels: {app: %s}}
                  strategy: %s
                  template:
                    metadata:
                      labels: {app: %s}
                      annotations: {it/version: "%s"}
                    spec:
                """.formatted(name, ns, replicas, name, strategy, name, version)
                + podSpec(podImage, SERVE, "  readinessProbe: {exec: {command: [\"true\"]}, periodSeconds: 1}\n");
    }

    private String deployment(String name, int replicas) {
        return deployment(name, replicas, "1", image, "{type: RollingUpdate}");
    }

    private String job(String name, String extraSpec, String script) {
        return """
                apiVersion: batch/v1
                kind: Job
                metadata: {name: %s, namespace: %s}
                spec:
                %s
                  template:
                    spec:
                      restartPolicy: Never
                """.formatted(name, ns, extraSpec.indent(2).stripTrailing()) + podSpec(image, script, "");
    }

    private String daemonSet(String name, String disktype) {
        return """
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: %s, namespace: %s}
                spec:
                  selector: {matchLabels: {app: %s}}
                  template:
                    metadata:
                      labels: {app: %s}
                    spec:
                      nodeSelector: {disktype: %s}
                """.formatted(name, ns, name, name, disktype) + podSpec(image, SERVE, "");
    }

    // ---- reading state ----

    /** This namespace's pods carrying label {@code key=value}, terminating ones included. */
    private List<Pod> pods(String key, String value) {
        return kubelet.pods().getItems().stream()
                .filter(p -> ns.equals(p.getMetadata().getNamespace()))
                .filter(p -> p.getMetadata().getLabels() != null && value.equals(p.getMetadata().getLabels().get(key)))
                .toList();
    }

    private static boolean terminating(Pod p) {
        return p.getMetadata().getDeletionTimestamp() != null;
    }

    private static boolean ready(Pod p) {
        return !terminating(p) && allRunning(p) && p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private List<Pod> readyPods(String app) {
        return pods("app", app).stream().filter(WorkloadControllersIT::ready).toList();
    }

    private String describePods(String key, String value) {
        return pods(key, value).stream().map(p -> p.getMetadata().getName() + " " + p.getStatus().getPhase()
                + (terminating(p) ? " terminating" : "") + (ready(p) ? " ready" : ""))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    private Optional<Deployment> deploymentStatus(String name) {
        return kubelet.deployments().getItems().stream().filter(d -> ns.equals(d.getMetadata().getNamespace())
                && name.equals(d.getMetadata().getName())).findFirst();
    }

    private Optional<Job> jobStatus(String name) {
        return kubelet.jobs().getItems().stream().filter(j -> ns.equals(j.getMetadata().getNamespace())
                && name.equals(j.getMetadata().getName())).findFirst();
    }

    private Optional<DaemonSet> daemonSetStatus(String name) {
        return kubelet.daemonSets().getItems().stream().filter(d -> ns.equals(d.getMetadata().getNamespace())
                && name.equals(d.getMetadata().getName())).findFirst();
    }

    private Optional<JobCondition> jobCondition(String name, String type) {
        return jobStatus(name).filter(j -> j.getStatus() != null && j.getStatus().getConditions() != null)
                .flatMap(j -> j.getStatus().getConditions().stream()
                        .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus())).findFirst());
    }

    private Optional<DeploymentCondition> deploymentCondition(String name, String type) {
        return deploymentStatus(name).filter(d -> d.getStatus() != null && d.getStatus().getConditions() != null)
                .flatMap(d -> d.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst());
    }

    /** Waits until exactly {@code n} pods of the Deployment are listed, all Ready, none terminating. */
    private void awaitExactlyReady(String app, int n) throws InterruptedException {
        awaitTrue(n + " pods of " + app + " Ready and no others", WAIT, () -> {
            List<Pod> all = pods("app", app);
            return all.size() == n && all.stream().allMatch(WorkloadControllersIT::ready);
        }, () -> describePods("app", app));
    }

    private Set<String> uids(List<Pod> pods) {
        return pods.stream().map(KubeletItSupport::uid).collect(Collectors.toCollection(TreeSet::new));
    }

    // ---- Deployments ----

    @Test
    void aDeploymentRunsItsReplicasAndScales() throws Exception {
        kubelet.writeManifest("web.yaml", deployment("web", 2));
        awaitExactlyReady("web", 2);
        awaitTrue("/deployments shows 2 ready and Available", WAIT, () -> deploymentStatus("web")
                .map(d -> d.getStatus() != null && Integer.valueOf(2).equals(d.getStatus().getReadyReplicas()))
                .orElse(false) && deploymentCondition("web", "Available").map(c -> "True".equals(c.getStatus()))
                .orElse(false), () -> deploymentStatus("web").map(kubelet::toJson).orElse("<not listed>"));
        Set<String> before = uids(pods("app", "web"));

        kubelet.writeManifest("web.yaml", deployment("web", 3));
        awaitExactlyReady("web", 3);
        assertTrue(uids(pods("app", "web")).containsAll(before), "scaling up keeps the pods that ran");

        kubelet.writeManifest("web.yaml", deployment("web", 1));
        awaitExactlyReady("web", 1);
        awaitTrue("/deployments shows 1 replica", WAIT, () -> deploymentStatus("web")
                .map(d -> d.getStatus() != null && Integer.valueOf(1).equals(d.getStatus().getReplicas())
                        && Integer.valueOf(1).equals(d.getStatus().getReadyReplicas())).orElse(false),
                () -> deploymentStatus("web").map(kubelet::toJson).orElse("<not listed>"));
    }

    @Test
    void aRolloutKeepsTheReplicasReadyAndABrokenImageStopsTheNext() throws Exception {
        String strategy = "{type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}";
        kubelet.writeManifest("roll.yaml", deployment("roll", 2, "1", image, strategy));
        awaitExactlyReady("roll", 2);
        Set<String> first = uids(pods("app", "roll"));

        // rollout to version 2: at every sample at least 2 pods Ready, until 2 new ones are and the old are gone
        kubelet.writeManifest("roll.yaml", deployment("roll", 2, "2", image, strategy));
        long deadline = System.nanoTime() + WAIT.toNanos();
        boolean surged = false;
        while (true) {
            List<Pod> all = pods("app", "roll");
            List<Pod> ready = all.stream().filter(WorkloadControllersIT::ready).toList();
            assertTrue(ready.size() >= 2, "fewer than 2 Ready during the rollout: " + describePods("app", "roll"));
            surged |= all.size() > 2;
            if (all.size() == 2 && ready.size() == 2 && uids(all).stream().noneMatch(first::contains)) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "rollout not done within " + WAIT + ": "
                    + describePods("app", "roll") + "\n" + kubelet.logTail());
            Thread.sleep(100);
        }
        assertTrue(surged, "the samples never saw the surge pod: the rollout was not watched");
        Set<String> second = uids(pods("app", "roll"));

        // version 3 cannot start (image absent, pull policy Never): the rollout stops, the old pods stay Ready
        kubelet.writeManifest("roll.yaml", deployment("roll", 2, "3", "skiff-test/no-such-image-it:1", strategy));
        awaitTrue("Progressing False with ProgressDeadlineExceeded", WAIT, () -> deploymentCondition("roll",
                "Progressing").map(c -> "False".equals(c.getStatus()) && "ProgressDeadlineExceeded".equals(c.getReason()))
                .orElse(false), () -> deploymentStatus("roll").map(kubelet::toJson).orElse("<not listed>"));
        assertEquals(second, uids(readyPods("roll")), "the old pods keep running: " + describePods("app", "roll"));
        assertTrue(pods("app", "roll").stream().noneMatch(WorkloadControllersIT::terminating),
                "nothing of the old ReplicaSet is deleted: " + describePods("app", "roll"));
        assertTrue(deploymentCondition("roll", "Progressing").orElseThrow().getMessage().contains("has timed out progressing"),
                () -> kubelet.toJson(deploymentStatus("roll").orElseThrow()));
    }

    @Test
    void aDeploymentWithNegativeReplicasIsRefusedWhileAnotherRuns() throws Exception {
        kubelet.writeManifest("bad.yaml", deployment("bad", -1));
        kubelet.writeManifest("good.yaml", deployment("good", 1));
        awaitExactlyReady("good", 1);
        awaitTrue("bad.yaml listed at /manifests/errors with upstream's message", WAIT, () -> kubelet.manifestErrors()
                .stream().anyMatch(e -> e.file().endsWith("bad.yaml")
                        && e.reason().contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0")),
                () -> kubelet.manifestErrors().toString());
        assertTrue(pods("app", "bad").isEmpty(), describePods("app", "bad"));
        assertTrue(kubelet.manifestErrors().stream().noneMatch(e -> e.file().endsWith("good.yaml")),
                () -> kubelet.manifestErrors().toString());
    }

    @Test
    void twoDeploymentsWithOneNameRunOnceAndTheSecondFileIsRefused() throws Exception {
        kubelet.writeManifest("dup-a.yaml", deployment("dup", 1));
        kubelet.writeManifest("dup-b.yaml", deployment("dup", 2));
        awaitTrue("one of the two files listed at /manifests/errors as a duplicate", WAIT, () -> kubelet.manifestErrors()
                .stream().filter(e -> e.file().endsWith("dup-a.yaml") || e.file().endsWith("dup-b.yaml"))
                .filter(e -> e.reason().contains("Deployment/") && e.reason().contains("/dup is already defined in"))
                .count() == 1, () -> kubelet.manifestErrors().toString());
        boolean bRefused = kubelet.manifestErrors().stream().anyMatch(e -> e.file().endsWith("dup-b.yaml"));
        // the file that was taken in runs as written: its replicas, not a mix of the two
        awaitExactlyReady("dup", bRefused ? 1 : 2);
    }

    // ---- Jobs ----

    @Test
    void aJobRunsItsCompletionsAtMostParallelismAtOnce() throws Exception {
        kubelet.writeManifest("count.yaml", job("count", "completions: 3\nparallelism: 2\nbackoffLimit: 2",
                "sleep 2; echo done"));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (jobCondition("count", "Complete").isEmpty()) {
            long active = pods("job-name", "count").stream()
                    .filter(p -> !phase(p, "Succeeded") && !phase(p, "Failed") && !terminating(p)).count();
            assertTrue(active <= 2, "more than parallelism 2 active: " + describePods("job-name", "count"));
            assertTrue(System.nanoTime() < deadline, "Job not Complete within " + WAIT + ": "
                    + jobStatus("count").map(kubelet::toJson).orElse("<not listed>") + "\n" + kubelet.logTail());
            Thread.sleep(200);
        }
        assertEquals(3, pods("job-name", "count").stream().filter(p -> phase(p, "Succeeded")).count(),
                describePods("job-name", "count"));
        assertEquals(3, jobStatus("count").orElseThrow().getStatus().getSucceeded());
    }

    @Test
    void aJobWhosePodsFailStopsAtItsBackoffLimit() throws Exception {
        kubelet.writeManifest("fail.yaml", job("fail", "completions: 1\nbackoffLimit: 1", "exit 3"));
        JobCondition failed = await("Job Failed", WAIT, () -> jobCondition("fail", "Failed"),
                () -> jobStatus("fail").map(kubelet::toJson).orElse("<not listed>"));
        assertEquals("BackoffLimitExceeded", failed.getReason());
        assertEquals("Job has reached the specified backoff limit", failed.getMessage());
        assertEquals(2, pods("job-name", "fail").stream().filter(p -> phase(p, "Failed")).count(),
                "backoffLimit 1: the first pod and one retry; " + describePods("job-name", "fail"));
        assertTrue(jobCondition("fail", "Complete").isEmpty());
    }

    @Test
    void anIndexedJobGivesEachPodItsIndex() throws Exception {
        // each pod echoes JOB_COMPLETION_INDEX to its log and succeeds only when it agrees with its hostname <job>-<index>
        kubelet.writeManifest("idx.yaml", job("idx", "completions: 3\nparallelism: 3\ncompletionMode: Indexed\n"
                + "backoffLimit: 0", "echo index=$JOB_COMPLETION_INDEX; test \"$(hostname)\" = \"idx-$JOB_COMPLETION_INDEX\""));
        await("Indexed Job Complete", WAIT, () -> jobCondition("idx", "Complete"),
                () -> jobStatus("idx").map(kubelet::toJson).orElse("<not listed>") + " " + describePods("job-name", "idx"));
        List<Pod> done = pods("job-name", "idx").stream().filter(p -> phase(p, "Succeeded")).toList();
        Set<String> indices = new TreeSet<>();
        for (Pod p : done) {
            String annotation = p.getMetadata().getAnnotations().get("batch.kubernetes.io/job-completion-index");
            assertEquals(annotation, p.getMetadata().getLabels().get("batch.kubernetes.io/job-completion-index"));
            assertTrue(p.getMetadata().getName().startsWith("idx-" + annotation + "-"), p.getMetadata().getName());
            indices.add(annotation);
            Path log = kubelet.podLogsDir().resolve(ns + "_" + p.getMetadata().getName() + "_" + uid(p))
                    .resolve("main").resolve("0.log");
            assertTrue(Files.readString(log).contains(" stdout F index=" + annotation + "\n"), () -> log + ": " + read(log));
        }
        assertEquals(Set.of("0", "1", "2"), indices, describePods("job-name", "idx"));
        assertEquals(3, done.size(), describePods("job-name", "idx"));
        assertEquals("0-2", jobStatus("idx").orElseThrow().getStatus().getCompletedIndexes());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    // ---- DaemonSets ----

    @Test
    void aDaemonSetRunsOnlyWhereItsNodeSelectorMatches() throws Exception {
        kubelet.writeManifest("hdd.yaml", daemonSet("hdd", "hdd"));
        kubelet.writeManifest("ssd.yaml", daemonSet("ssd", "ssd"));
        awaitTrue("one ssd pod Running", WAIT, () -> {
            List<Pod> ps = pods("app", "ssd");
            return ps.size() == 1 && allRunning(ps.get(0));
        }, () -> describePods("app", "ssd"));
        awaitTrue("/daemonsets: ssd scheduled here, hdd nowhere", WAIT, () -> {
            Optional<DaemonSet> ssd = daemonSetStatus("ssd");
            Optional<DaemonSet> hdd = daemonSetStatus("hdd");
            return ssd.isPresent() && hdd.isPresent() && ssd.get().getStatus() != null && hdd.get().getStatus() != null
                    && Integer.valueOf(1).equals(ssd.get().getStatus().getDesiredNumberScheduled())
                    && Integer.valueOf(1).equals(ssd.get().getStatus().getCurrentNumberScheduled())
                    && Integer.valueOf(0).equals(hdd.get().getStatus().getDesiredNumberScheduled())
                    && Integer.valueOf(0).equals(hdd.get().getStatus().getCurrentNumberScheduled());
        }, () -> kubelet.toJson(kubelet.daemonSets()));
        assertTrue(pods("app", "hdd").isEmpty(), describePods("app", "hdd"));
        assertEquals(kubelet.nodeName(), pods("app", "ssd").get(0).getSpec().getNodeName());
    }
}
