package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;

import java.util.List;
import java.util.Optional;

/**
 * One kind's controller (upstream's StatefulSetController, ReplicaSetController …), as a pure function: it reads
 * only the {@link ControllerView} and answers what should change. The manager applies the answer and calls again
 * when anything it read may have changed, so a reconcile does one step at a time and may return early.
 */
public interface WorkloadController {

    /** The workload kind it reconciles, as in the manifest: {@code "StatefulSet"}, {@code "ReplicaSet"} … */
    String kind();

    /**
     * Upstream's validation of a workload object (ValidateStatefulSet …) and, when {@code previous} is the
     * version accepted before, of the update (immutable fields). Messages as upstream's field errors, e.g.
     * {@code spec.selector: Invalid value: …: `selector` does not match template `labels`}. Empty when valid; an
     * invalid object is not reconciled (its previous version, if any, stays in force) and its errors are listed
     * with the manifest errors.
     */
    List<String> validate(HasMetadata workload, Optional<HasMetadata> previous);

    /** What to change now for {@code workload} (of this controller's kind); never null. */
    Reconciliation reconcile(HasMetadata workload, ControllerView view);
}
