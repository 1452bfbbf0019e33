package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.PodSpec;

import java.util.List;

/**
 * Upstream's lifecycle validation (pkg/apis/core/validation validateLifecycle with validateHandler), with its field
 * errors, e.g. {@code spec.containers[0].lifecycle.postStart.httpGet: Forbidden: may not specify more than 1 handler
 * type} or {@code spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be greater than 0 and less than
 * terminationGracePeriodSeconds (30)}. An init container may have hooks only as a sidecar (restartPolicy Always).
 */
final class LifecycleValidator {
    private LifecycleValidator() {
    }

    static void validate(List<String> errs, PodSpec spec) {
        Long grace = spec.getTerminationGracePeriodSeconds() == null ? Long.valueOf(30)
                : spec.getTerminationGracePeriodSeconds();
        List<Container> inits = spec.getInitContainers() == null ? List.of() : spec.getInitContainers();
        for (int i = 0; i < inits.size(); i++) {
            Container c = inits.get(i);
            String path = "spec.initContainers[" + i + "].lifecycle";
            if (c.getLifecycle() == null) {
                continue;
            }
            if ("Always".equals(c.getRestartPolicy())) {
                lifecycle(errs, path, c.getLifecycle(), grace);
            } else {
                errs.add(ProbeValidator.forbidden(path, "may not be set for init containers without restartPolicy=Always"));
            }
        }
        List<Container> containers = spec.getContainers() == null ? List.of() : spec.getContainers();
        for (int i = 0; i < containers.size(); i++) {
            Lifecycle l = containers.get(i).getLifecycle();
            if (l != null) {
                lifecycle(errs, "spec.containers[" + i + "].lifecycle", l, grace);
            }
        }
    }

    private static void lifecycle(List<String> errs, String path, Lifecycle l, Long grace) {
        if (l.getPostStart() != null) {
            handler(errs, path + ".postStart", l.getPostStart(), grace);
        }
        if (l.getPreStop() != null) {
            handler(errs, path + ".preStop", l.getPreStop(), grace);
        }
    }

    private static void handler(List<String> errs, String path, LifecycleHandler h, Long grace) {
        ProbeValidator.handler(errs, path, h.getExec(), h.getHttpGet(), h.getTcpSocket(), null, h.getSleep(), grace);
    }
}
