package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;

/**
 * upstream JobController (pkg/controller/job): keeps up to {@code parallelism} pods running until
 * {@code completions} have succeeded (Indexed: one success per index {@code 0..completions-1}, each pod told its
 * index by annotation, label, {@code JOB_COMPLETION_INDEX} and hostname {@code <job>-<index>}); a failed pod is
 * replaced after the pod failure back-off (10 s, doubling, at most 6 min, counted since the last success). The job
 * fails with BackoffLimitExceeded when more than backoffLimit pods failed (OnFailure: container restarts count) and
 * with DeadlineExceeded after activeDeadlineSeconds; its running pods are then deleted. Finished pods are kept, as
 * upstream keeps them until the job goes. ttlSecondsAfterFinished: after it, the job's pods are deleted; the Job
 * object stays (it is the user's file) with its final status.
 */
public final class JobController implements WorkloadController {
    static final String JOB_NAME = "batch.kubernetes.io/job-name";
    static final String CONTROLLER_UID = "batch.kubernetes.io/controller-uid";
    static final String LEGACY_JOB_NAME = "job-name";
    static final String LEGACY_CONTROLLER_UID = "controller-uid";
    static final String COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
    static final String INDEX_ENV = "JOB_COMPLETION_INDEX";
    static final Duration BACKOFF = Duration.ofSeconds(10);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(6);

    private final Random random;

    public JobController(Random random) {
        this.random = random;
    }

    @Override
    public String kind() {
        return "Job";
    }

    @Override
    public List<String> validate(HasMetadata workload, Optional<HasMetadata> previous) {
        return JobValidation.validate((Job) workload, previous.map(Job.class::cast));
    }

    @Override
    public Reconciliation reconcile(HasMetadata workload, ControllerView view) {
        Job job = (Job) workload;
        JobStatus old = job.getStatus() == null ? new JobStatus() : job.getStatus();
        List<Pod> pods = view.owned(Pod.class, job.getMetadata().getUid());
        if (finished(old)) {
            return afterFinish(job, old, pods, view);
        }
        return new Sync(job, old, pods, view).run();
    }

    /** ttlSecondsAfterFinished: wait, then delete the job's pods. */
    private static Reconciliation afterFinish(Job job, JobStatus s, List<Pod> pods, ControllerView view) {
        Long ttl = job.getSpec().getTtlSecondsAfterFinished() == null ? null
                : job.getSpec().getTtlSecondsAfterFinished().longValue();
        if (ttl == null) {
            return Reconciliation.none();
        }
        Instant finishedAt = Times.parse(s.getCompletionTime())
                .or(() -> s.getConditions().stream().filter(c -> "True".equals(c.getStatus()))
                        .map(c -> Times.parse(c.getLastTransitionTime())).flatMap(Optional::stream).findFirst())
                .orElse(view.now());
        Instant expires = finishedAt.plusSeconds(ttl);
        if (view.now().isBefore(expires)) {
            return new Reconciliation(List.of(), List.of(), List.of(), null, List.of(),
                    Optional.of(Duration.between(view.now(), expires)));
        }
        List<ObjectRef> delete = new ArrayList<>();
        for (Pod p : pods) {
            if (!PodStates.isTerminating(p)) {
                delete.add(ObjectRef.of(p));
            }
        }
        return new Reconciliation(List.of(), List.of(), delete, null, List.of(), Optional.empty());
    }

    static boolean finished(JobStatus s) {
        return s.getConditions() != null && s.getConditions().stream().anyMatch(c ->
                ("Complete".equals(c.getType()) || "Failed".equals(c.getType())) && "True".equals(c.getStatus()));
    }

    /** One sync of one job. */
    private final class Sync {
        private final Job job;
        private final JobStatus old;
        private final ControllerView view;
        private final Instant now;
        private final boolean indexed;
        private final int parallelism;
        private final Integer completions;
        private final List<Pod> active = new ArrayList<>();
        private final List<Pod> succeededPods = new ArrayList<>();
        private final List<Pod> failedPods = new ArrayList<>();
        private final List<HasMetadata> create = new ArrayList<>();
        private final List<ObjectRef> delete = new ArrayList<>();
        private final List<ControllerEvent> events = new ArrayList<>();
        private Optional<Duration> requeue = Optional.empty();

        Sync(Job job, JobStatus old, List<Pod> pods, ControllerView view) {
            this.job = job;
            this.old = old;
            this.view = view;
            this.now = view.now();
            this.indexed = "Indexed".equals(JobValidation.completionMode(job));
            Integer p = job.getSpec().getParallelism();
            Integer c = job.getSpec().getCompletions();
            // upstream defaults: both unset means one pod to one completion.
            this.parallelism = p == null ? 1 : p;
            this.completions = c == null && p == null ? Integer.valueOf(1) : c;
            for (Pod pod : pods) {
                String phase = PodStates.phase(PodStates.status(pod, view));
                if ("Succeeded".equals(phase)) {
                    succeededPods.add(pod);
                } else if ("Failed".equals(phase)) {
                    failedPods.add(pod);
                } else if (!PodStates.isTerminating(pod)) {
                    active.add(pod);
                }
            }
        }

        Reconciliation run() {
            Instant start = Times.parse(old.getStartTime()).orElse(now);
            int failed = failedPods.size();
            TreeSet<Integer> succeededIndexes = succeededIndexes();
            int succeeded = indexed ? succeededIndexes.size() : succeededPods.size();
            JobCondition failure = null;
            int backoffLimit = OwnedObjects.intOr(job.getSpec().getBackoffLimit(), 6);
            Long deadline = job.getSpec().getActiveDeadlineSeconds();
            if (failed > backoffLimit || pastBackoffLimitOnFailure(backoffLimit)) {
                failure = condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
            } else if (deadline != null && !now.isBefore(start.plusSeconds(deadline))) {
                failure = condition("Failed", "DeadlineExceeded", "Job was active longer than specified deadline");
            }
            JobStatus s = new JobStatus();
            s.setStartTime(Times.format(start));
            s.setConditions(old.getConditions() == null ? new ArrayList<>() : new ArrayList<>(old.getConditions()));
            if (failure != null) {
                for (Pod p : active) {
                    delete.add(ObjectRef.of(p));
                }
                active.clear();
                s.getConditions().add(failure);
                events.add(ControllerEvent.warning(failure.getReason(), failure.getMessage()));
            } else {
                boolean complete = indexed ? succeeded >= completions
                        : completions == null ? succeeded > 0 && active.isEmpty()
                        : succeeded >= completions && active.isEmpty();
                if (complete) {
                    s.getConditions().add(condition("Complete", "CompletionsReached",
                            "Reached expected number of succeeded pods"));
                    s.setCompletionTime(Times.format(now));
                    events.add(ControllerEvent.normal("Completed", "Job completed"));
                } else {
                    manage(succeeded, succeededIndexes);
                    if (deadline != null) {
                        requeue = min(requeue, Duration.between(now, start.plusSeconds(deadline)));
                    }
                }
            }
            int ready = 0;
            for (Pod p : active) {
                if (PodStates.isReady(PodStates.status(p, view))) {
                    ready++;
                }
            }
            s.setActive(active.size() + create.size() - deleteCountOfActive());
            s.setReady(ready);
            s.setSucceeded(succeededPods.size());
            s.setFailed(failed);
            if (indexed && !succeededIndexes.isEmpty()) {
                s.setCompletedIndexes(ranges(succeededIndexes));
            }
            Job withStatus = null;
            if (!Objects.equals(s, old)) {
                withStatus = Copies.deep(job);
                withStatus.setStatus(s);
            }
            return new Reconciliation(create, List.of(), delete, withStatus, events, requeue);
        }

        private int deleteCountOfActive() {
            int n = 0;
            for (ObjectRef r : delete) {
                for (Pod p : active) {
                    if (p.getMetadata().getName().equals(r.name())) {
                        n++;
                    }
                }
            }
            return n;
        }

        /** upstream manageJob: delete surplus active pods, create missing ones once the back-off allows. */
        private void manage(int succeeded, TreeSet<Integer> succeededIndexes) {
            int want;
            if (indexed) {
                want = Math.min(parallelism, completions - succeededIndexes.size());
                // An index that already succeeded, or is run twice, needs no (more) pods.
                TreeSet<Integer> running = new TreeSet<>();
                for (Pod p : new ArrayList<>(active)) {
                    int i = index(p);
                    if (i < 0 || i >= completions || succeededIndexes.contains(i) || !running.add(i)) {
                        delete.add(ObjectRef.of(p));
                        active.remove(p);
                    }
                }
            } else if (completions == null) {
                want = succeeded > 0 ? active.size() : parallelism;
            } else {
                want = Math.max(0, Math.min(parallelism, completions - succeeded));
            }
            int surplus = active.size() - want;
            if (surplus > 0) {
                List<Pod> order = new ArrayList<>(active);
                order.sort(PodStates.deletionOrder(view));
                for (Pod p : order.subList(0, surplus)) {
                    delete.add(ObjectRef.of(p));
                    events.add(ControllerEvent.normal("SuccessfulDelete", "Deleted pod: " + p.getMetadata().getName()));
                }
                active.removeAll(order.subList(0, surplus));
                return;
            }
            int missing = want - active.size();
            if (missing <= 0) {
                return;
            }
            Duration wait = backoffRemaining();
            if (!wait.isZero() && !wait.isNegative()) {
                requeue = min(requeue, wait);
                return;
            }
            TreeSet<Integer> taken = new TreeSet<>(succeededIndexes);
            for (Pod p : active) {
                taken.add(index(p));
            }
            int next = 0;
            for (int n = 0; n < missing; n++) {
                if (indexed) {
                    while (taken.contains(next)) {
                        next++;
                    }
                    taken.add(next);
                    create.add(pod(next));
                } else {
                    create.add(pod(-1));
                }
            }
        }

        private Pod pod(int index) {
            String jobName = job.getMetadata().getName();
            String prefix = index < 0 ? jobName + "-" : jobName + "-" + index + "-";
            String name = ObjectNames.generate(prefix, random);
            Pod pod = OwnedObjects.podFromTemplate(job, job.getSpec().getTemplate(), prefix, name);
            Map<String, String> labels = pod.getMetadata().getLabels();
            String uid = job.getMetadata().getUid();
            labels.put(CONTROLLER_UID, uid);
            labels.put(JOB_NAME, jobName);
            labels.put(LEGACY_CONTROLLER_UID, uid);
            labels.put(LEGACY_JOB_NAME, jobName);
            if (index >= 0) {
                labels.put(COMPLETION_INDEX, String.valueOf(index));
                Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? new LinkedHashMap<>()
                        : new LinkedHashMap<>(pod.getMetadata().getAnnotations());
                annotations.put(COMPLETION_INDEX, String.valueOf(index));
                pod.getMetadata().setAnnotations(annotations);
                if (pod.getSpec().getHostname() == null || pod.getSpec().getHostname().isEmpty()) {
                    pod.getSpec().setHostname(jobName + "-" + index);
                }
                addIndexEnv(pod.getSpec().getInitContainers());
                addIndexEnv(pod.getSpec().getContainers());
            }
            events.add(ControllerEvent.normal("SuccessfulCreate", "Created pod: " + name));
            return pod;
        }

        /** upstream: the pod failure back-off, from the latest failure, counted over failures since a success. */
        private Duration backoffRemaining() {
            Instant lastSuccess = Instant.EPOCH;
            for (Pod p : succeededPods) {
                lastSuccess = max(lastSuccess, finishedAt(p));
            }
            int failures = 0;
            Instant lastFailure = Instant.EPOCH;
            for (Pod p : failedPods) {
                Instant t = finishedAt(p);
                if (t.isAfter(lastSuccess)) {
                    failures++;
                    lastFailure = max(lastFailure, t);
                }
            }
            if (failures == 0) {
                return Duration.ZERO;
            }
            Duration delay = BACKOFF.multipliedBy(1L << Math.min(failures - 1, 20));
            if (delay.compareTo(MAX_BACKOFF) > 0) {
                delay = MAX_BACKOFF;
            }
            return Duration.between(now, lastFailure.plus(delay));
        }

        private Instant finishedAt(Pod p) {
            PodStatus s = PodStates.status(p, view);
            Instant t = Times.parse(p.getMetadata().getCreationTimestamp()).orElse(Instant.EPOCH);
            if (s.getContainerStatuses() != null) {
                for (ContainerStatus cs : s.getContainerStatuses()) {
                    if (cs.getState() != null && cs.getState().getTerminated() != null) {
                        t = max(t, Times.parse(cs.getState().getTerminated().getFinishedAt()).orElse(t));
                    }
                }
            }
            return t;
        }

        /** upstream pastBackoffLimitOnFailure: with OnFailure, container restarts of running pods count. */
        private boolean pastBackoffLimitOnFailure(int limit) {
            if (!"OnFailure".equals(job.getSpec().getTemplate().getSpec().getRestartPolicy())) {
                return false;
            }
            int restarts = 0;
            for (Pod p : active) {
                restarts += PodStates.restarts(PodStates.status(p, view));
            }
            return limit == 0 ? restarts > 0 : restarts >= limit;
        }

        private TreeSet<Integer> succeededIndexes() {
            TreeSet<Integer> out = new TreeSet<>();
            if (indexed) {
                for (Pod p : succeededPods) {
                    int i = index(p);
                    if (i >= 0 && i < completions) {
                        out.add(i);
                    }
                }
            }
            return out;
        }

        private JobCondition condition(String type, String reason, String message) {
            JobCondition c = new JobCondition();
            c.setType(type);
            c.setStatus("True");
            c.setReason(reason);
            c.setMessage(message);
            c.setLastProbeTime(Times.format(now));
            c.setLastTransitionTime(Times.format(now));
            return c;
        }
    }

    private static void addIndexEnv(List<Container> containers) {
        if (containers == null) {
            return;
        }
        for (Container c : containers) {
            List<EnvVar> env = c.getEnv() == null ? new ArrayList<>() : new ArrayList<>(c.getEnv());
            if (env.stream().noneMatch(e -> INDEX_ENV.equals(e.getName()))) {
                env.add(new EnvVarBuilder().withName(INDEX_ENV).withNewValueFrom().withNewFieldRef()
                        .withFieldPath("metadata.annotations['" + COMPLETION_INDEX + "']").endFieldRef()
                        .endValueFrom().build());
            }
            c.setEnv(env);
        }
    }

    static int index(Pod p) {
        Map<String, String> a = p.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(COMPLETION_INDEX);
        try {
            return v == null ? -1 : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** upstream's completedIndexes text: sorted, runs of consecutive indexes as {@code a-b}, joined by commas. */
    static String ranges(TreeSet<Integer> indexes) {
        StringBuilder sb = new StringBuilder();
        Integer start = null;
        Integer prev = null;
        for (int i : indexes) {
            if (prev != null && i == prev + 1) {
                prev = i;
                continue;
            }
            if (start != null) {
                append(sb, start, prev);
            }
            start = i;
            prev = i;
        }
        if (start != null) {
            append(sb, start, prev);
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, int start, int end) {
        sb.append(sb.length() == 0 ? "" : ",").append(start);
        if (end > start) {
            sb.append('-').append(end);
        }
    }

    private static Optional<Duration> min(Optional<Duration> a, Duration b) {
        Duration d = b.isNegative() ? Duration.ZERO : b;
        return Optional.of(a.isEmpty() || d.compareTo(a.get()) < 0 ? d : a.get());
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
