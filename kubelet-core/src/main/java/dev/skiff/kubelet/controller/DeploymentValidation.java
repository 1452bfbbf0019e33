package dev.skiff.kubelet.controller;

import dev.skiff.kubelet.pod.PodValidator;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** upstream ValidateDeployment and ValidateDeploymentUpdate (pkg/apis/apps/validation), same messages. */
final class DeploymentValidation {
    private DeploymentValidation() {}

    static List<String> validate(Deployment d, Optional<Deployment> previous) {
        List<String> errs = new ArrayList<>();
        DeploymentSpec spec = d.getSpec();
        if (spec == null) {
            errs.add(PodValidator.required("spec", ""));
            return errs;
        }
        WorkloadValidation.nonNegative(errs, spec.getReplicas(), "spec.replicas");
        WorkloadValidation.selector(errs, spec.getSelector(), spec.getTemplate(), "deployment");
        WorkloadValidation.template(errs, d, spec.getTemplate(), List.of("Always"));
        strategy(errs, spec.getStrategy());
        WorkloadValidation.nonNegative(errs, spec.getMinReadySeconds(), "spec.minReadySeconds");
        WorkloadValidation.nonNegative(errs, spec.getRevisionHistoryLimit(), "spec.revisionHistoryLimit");
        Integer deadline = spec.getProgressDeadlineSeconds();
        if (deadline != null) {
            WorkloadValidation.nonNegative(errs, deadline, "spec.progressDeadlineSeconds");
            if (deadline <= OwnedObjects.intOr(spec.getMinReadySeconds(), 0)) {
                errs.add(PodValidator.invalid("spec.progressDeadlineSeconds", deadline,
                        "must be greater than minReadySeconds"));
            }
        }
        previous.ifPresent(p -> {
            if (p.getSpec() != null) {
                WorkloadValidation.immutable(errs, spec.getSelector(), p.getSpec().getSelector(), "spec.selector",
                        LabelSelectors.goSelector(spec.getSelector()));
            }
        });
        return errs;
    }

    private static void strategy(List<String> errs, DeploymentStrategy s) {
        if (s == null) {
            return;
        }
        String type = s.getType() == null || s.getType().isEmpty() ? "RollingUpdate" : s.getType();
        if ("Recreate".equals(type)) {
            if (s.getRollingUpdate() != null) {
                errs.add("spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is "
                        + "'Recreate'");
            }
        } else if (!"RollingUpdate".equals(type)) {
            errs.add(PodValidator.notSupported("spec.strategy.type", type, List.of("Recreate", "RollingUpdate")));
        } else if (s.getRollingUpdate() != null) {
            var ru = s.getRollingUpdate();
            IntOrPercent.validate(errs, ru.getMaxUnavailable(), "spec.strategy.rollingUpdate.maxUnavailable");
            IntOrPercent.validate(errs, ru.getMaxSurge(), "spec.strategy.rollingUpdate.maxSurge");
            if (ru.getMaxUnavailable() != null && IntOrPercent.isZero(ru.getMaxUnavailable())
                    && IntOrPercent.isZero(ru.getMaxSurge()) && ru.getMaxSurge() != null) {
                errs.add("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
                        + IntOrPercent.show(ru.getMaxUnavailable()) + ": may not be 0 when `maxSurge` is 0");
            }
        }
    }
}
