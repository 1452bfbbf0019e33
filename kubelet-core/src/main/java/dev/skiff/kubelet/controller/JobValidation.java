package dev.skiff.kubelet.controller;

import dev.skiff.kubelet.pod.PodValidator;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** upstream ValidateJob and ValidateJobUpdate (pkg/apis/batch/validation), same messages. */
final class JobValidation {
    /** Upstream prints the whole template struct; Skiff names its type only, keeping file content out. */
    private static final String TEMPLATE_VALUE = "core.PodTemplateSpec{...}";

    private JobValidation() {}

    static List<String> validate(Job job, Optional<Job> previous) {
        List<String> errs = new ArrayList<>();
        JobSpec spec = job.getSpec();
        if (spec == null) {
            errs.add(PodValidator.required("spec", ""));
            return errs;
        }
        WorkloadValidation.nonNegative(errs, spec.getParallelism(), "spec.parallelism");
        WorkloadValidation.nonNegative(errs, spec.getCompletions(), "spec.completions");
        WorkloadValidation.nonNegative(errs, spec.getActiveDeadlineSeconds(), "spec.activeDeadlineSeconds");
        WorkloadValidation.nonNegative(errs, spec.getBackoffLimit(), "spec.backoffLimit");
        WorkloadValidation.nonNegative(errs, spec.getTtlSecondsAfterFinished(), "spec.ttlSecondsAfterFinished");
        if (Boolean.TRUE.equals(spec.getManualSelector())) {
            WorkloadValidation.selector(errs, spec.getSelector(), spec.getTemplate(), "job");
        } else if (spec.getSelector() != null) {
            errs.add("spec.selector: Invalid value: " + LabelSelectors.goSelector(spec.getSelector())
                    + ": `selector` not auto-generated");
        }
        String mode = completionMode(job);
        if (!"NonIndexed".equals(mode) && !"Indexed".equals(mode)) {
            errs.add(PodValidator.notSupported("spec.completionMode", mode, List.of("NonIndexed", "Indexed")));
        } else if ("Indexed".equals(mode) && spec.getCompletions() == null) {
            errs.add(PodValidator.required("spec.completions", "when completion mode is Indexed"));
        }
        WorkloadValidation.template(errs, job, spec.getTemplate(), List.of("OnFailure", "Never"));
        previous.ifPresent(p -> update(errs, spec, p.getSpec()));
        return errs;
    }

    private static void update(List<String> errs, JobSpec now, JobSpec before) {
        if (before == null) {
            return;
        }
        WorkloadValidation.immutable(errs, now.getCompletions(), before.getCompletions(), "spec.completions",
                String.valueOf(now.getCompletions()));
        WorkloadValidation.immutable(errs, now.getSelector(), before.getSelector(), "spec.selector",
                LabelSelectors.goSelector(now.getSelector()));
        WorkloadValidation.immutable(errs, Objects.toString(now.getCompletionMode(), "NonIndexed"),
                Objects.toString(before.getCompletionMode(), "NonIndexed"), "spec.completionMode",
                PodValidator.quote(Objects.toString(now.getCompletionMode(), "NonIndexed")));
        String a = now.getTemplate() == null ? "" : TemplateHash.canonical(now.getTemplate());
        String b = before.getTemplate() == null ? "" : TemplateHash.canonical(before.getTemplate());
        WorkloadValidation.immutable(errs, a, b, "spec.template", TEMPLATE_VALUE);
    }

    static String completionMode(Job job) {
        String m = job.getSpec().getCompletionMode();
        return m == null || m.isEmpty() ? "NonIndexed" : m;
    }
}
