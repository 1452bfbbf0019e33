package dev.skiff.kubelet.controller;

import dev.skiff.kubelet.pod.PodDefaults;
import dev.skiff.kubelet.pod.PodValidator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;

import java.util.List;
import java.util.Objects;

/** Field checks the workload kinds share, with upstream's messages (pkg/apis/apps/validation, batch/validation). */
final class WorkloadValidation {
    static final String IMMUTABLE = "field is immutable";

    private WorkloadValidation() {}

    static void nonNegative(List<String> errs, Integer value, String path) {
        if (value != null && value < 0) {
            errs.add(PodValidator.invalid(path, value, "must be greater than or equal to 0"));
        }
    }

    static void nonNegative(List<String> errs, Long value, String path) {
        if (value != null && value < 0) {
            errs.add(PodValidator.invalid(path, value, "must be greater than or equal to 0"));
        }
    }

    /** upstream: selector required and non-empty, and it must select the template's labels. */
    static void selector(List<String> errs, LabelSelector selector, PodTemplateSpec template, String kind) {
        if (selector == null) {
            errs.add(PodValidator.required("spec.selector", ""));
            return;
        }
        if (LabelSelectors.isEmpty(selector)) {
            errs.add("spec.selector: Invalid value: " + LabelSelectors.goSelector(selector)
                    + ": empty selector is invalid for " + kind);
            return;
        }
        var labels = template == null || template.getMetadata() == null ? null : template.getMetadata().getLabels();
        if (!LabelSelectors.matches(selector, labels)) {
            errs.add("spec.template.metadata.labels: Invalid value: " + LabelSelectors.goMap(labels)
                    + ": `selector` does not match template `labels`");
        }
    }

    /**
     * upstream ValidatePodTemplateSpec: the template as the pod it will become (with the API server's defaults),
     * its errors under {@code spec.template}; then the restart policies {@code allowed} for the kind.
     */
    static void template(List<String> errs, HasMetadata workload, PodTemplateSpec template, List<String> allowed) {
        if (template == null || template.getSpec() == null) {
            errs.add(PodValidator.required("spec.template", ""));
            return;
        }
        Pod pod = new Pod();
        pod.setApiVersion("v1");
        pod.setKind("Pod");
        ObjectMeta meta = template.getMetadata() == null ? new ObjectMeta() : Copies.deep(template.getMetadata());
        meta.setName(workload.getMetadata().getName() + "-template");
        meta.setNamespace(workload.getMetadata().getNamespace());
        pod.setMetadata(meta);
        pod.setSpec(Copies.deep(template.getSpec()));
        PodDefaults.apply(pod);
        for (String e : PodValidator.validate(pod)) {
            if (!e.startsWith("metadata.name:") && !e.startsWith("metadata.namespace:")) {
                errs.add("spec.template." + e);
            }
        }
        String policy = pod.getSpec().getRestartPolicy();
        if (!allowed.contains(policy)) {
            errs.add(PodValidator.notSupported("spec.template.spec.restartPolicy", policy, allowed));
        }
    }

    /** upstream ValidateImmutableField for a value printed as {@code shown}. */
    static void immutable(List<String> errs, Object now, Object before, String path, String shown) {
        if (!Objects.equals(now, before)) {
            errs.add(path + ": Invalid value: " + shown + ": " + IMMUTABLE);
        }
    }
}
