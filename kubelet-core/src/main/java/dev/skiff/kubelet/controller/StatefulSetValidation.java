package dev.skiff.kubelet.controller;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skiff.kubelet.pod.PodDefaults;
import dev.skiff.kubelet.pod.PodValidator;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Upstream's ValidateStatefulSet and ValidateStatefulSetUpdate, with their messages. */
final class StatefulSetValidation {
    private static final List<String> UPDATABLE = List.of("replicas", "ordinals", "template", "updateStrategy",
            "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "minReadySeconds");

    private StatefulSetValidation() {}

    static List<String> validate(StatefulSet set, Optional<StatefulSet> previous) {
        List<String> errors = new ArrayList<>();
        if (set.getSpec() == null) {
            errors.add("spec: Required value");
            return errors;
        }
        var spec = set.getSpec();
        String policy = StatefulSetSpecs.podManagementPolicy(set);
        if (!policy.equals(StatefulSetSpecs.ORDERED_READY) && !policy.equals(StatefulSetSpecs.PARALLEL)) {
            errors.add("spec.podManagementPolicy: Unsupported value: " + GoValues.quote(policy)
                    + ": supported values: \"OrderedReady\", \"Parallel\"");
        }
        String strategy = StatefulSetSpecs.updateStrategy(set);
        if (!strategy.equals(StatefulSetSpecs.ROLLING_UPDATE) && !strategy.equals(StatefulSetSpecs.ON_DELETE)) {
            errors.add("spec.updateStrategy: Unsupported value: " + GoValues.quote(strategy)
                    + ": supported values: \"OnDelete\", \"RollingUpdate\"");
        } else if (strategy.equals(StatefulSetSpecs.ON_DELETE) && spec.getUpdateStrategy().getRollingUpdate() != null) {
            errors.add("spec.updateStrategy.rollingUpdate: Invalid value: \"\": only allowed for updateStrategy 'RollingUpdate'");
        }
        nonNegative(errors, "spec.updateStrategy.rollingUpdate.partition", StatefulSetSpecs.partition(set));
        for (String when : List.of(StatefulSetSpecs.whenDeleted(set), StatefulSetSpecs.whenScaled(set))) {
            if (!when.equals(StatefulSetSpecs.RETAIN) && !when.equals(StatefulSetSpecs.DELETE)) {
                errors.add("spec.persistentVolumeClaimRetentionPolicy: Unsupported value: " + GoValues.quote(when)
                        + ": supported values: \"Retain\", \"Delete\"");
            }
        }
        nonNegative(errors, "spec.replicas", StatefulSetSpecs.replicas(set));
        nonNegative(errors, "spec.minReadySeconds", StatefulSetSpecs.minReadySeconds(set));
        nonNegative(errors, "spec.ordinals.start", StatefulSetSpecs.start(set));
        if (spec.getSelector() == null) {
            errors.add("spec.selector: Required value");
        } else {
            errors.addAll(LabelSelectors.validate(spec.getSelector(), "spec.selector"));
            if (LabelSelectors.isEmpty(spec.getSelector())) {
                errors.add("spec.selector: Invalid value: \"\": empty selector is invalid for statefulset");
            }
        }
        if (spec.getTemplate() == null) {
            errors.add("spec.template: Required value");
            return errors;
        }
        Map<String, String> labels = spec.getTemplate().getMetadata() == null ? Map.of()
                : spec.getTemplate().getMetadata().getLabels();
        if (spec.getSelector() != null && !LabelSelectors.isEmpty(spec.getSelector())
                && !LabelSelectors.matches(spec.getSelector(), labels)) {
            errors.add("spec.template.metadata.labels: Invalid value: " + GoValues.stringMap(labels)
                    + ": `selector` does not match template `labels`");
        }
        String restart = spec.getTemplate().getSpec() == null ? null : spec.getTemplate().getSpec().getRestartPolicy();
        if (restart != null && !restart.isEmpty() && !restart.equals("Always")) {
            errors.add("spec.template.spec.restartPolicy: Unsupported value: " + GoValues.quote(restart)
                    + ": supported values: \"Always\"");
        }
        errors.addAll(templateErrors(set));
        previous.ifPresent(p -> {
            if (!withoutUpdatable(p).equals(withoutUpdatable(set))) {
                errors.add("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                        + "'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' "
                        + "and 'minReadySeconds' are forbidden");
            }
        });
        return errors;
    }

    /** The pod template as a pod of this set would be, validated as a pod; paths under spec.template. */
    private static List<String> templateErrors(StatefulSet set) {
        if (set.getSpec().getTemplate().getSpec() == null) {
            return List.of("spec.template.spec: Required value");
        }
        Pod pod = new PodBuilder().withNewMetadata().withName(set.getMetadata().getName() + "-0")
                .withNamespace(set.getMetadata().getNamespace()).endMetadata()
                .withSpec(ControllerStore.copy(new PodBuilder().withSpec(set.getSpec().getTemplate().getSpec()).build())
                        .getSpec()).build();
        // the claim templates become volumes of each pod, as the controller makes them
        List<io.fabric8.kubernetes.api.model.Volume> volumes = new ArrayList<>(pod.getSpec().getVolumes() == null
                ? List.of() : pod.getSpec().getVolumes());
        if (set.getSpec().getVolumeClaimTemplates() != null) {
            for (var tpl : set.getSpec().getVolumeClaimTemplates()) {
                String claim = tpl.getMetadata() == null ? null : tpl.getMetadata().getName();
                if (claim == null || claim.isEmpty()) {
                    return List.of("spec.volumeClaimTemplates.metadata.name: Required value");
                }
                volumes.removeIf(v -> claim.equals(v.getName()));
                volumes.add(new io.fabric8.kubernetes.api.model.VolumeBuilder().withName(claim)
                        .withNewPersistentVolumeClaim().withClaimName(claim + "-" + set.getMetadata().getName() + "-0")
                        .endPersistentVolumeClaim().build());
            }
        }
        pod.getSpec().setVolumes(volumes);
        PodDefaults.apply(pod);
        return PodValidator.validate(pod).stream().filter(e -> !e.startsWith("metadata."))
                .map(e -> "spec.template." + e).toList();
    }

    private static ObjectNode withoutUpdatable(StatefulSet s) {
        ObjectNode spec = ControllerStore.JSON.valueToTree(s.getSpec());
        UPDATABLE.forEach(spec::remove);
        // defaults the file may spell out or leave: compare what they mean
        spec.put("podManagementPolicy", StatefulSetSpecs.podManagementPolicy(s));
        return spec;
    }

    private static void nonNegative(List<String> errors, String path, int value) {
        if (value < 0) {
            errors.add(path + ": Invalid value: " + value + ": must be greater than or equal to 0");
        }
    }
}
