package dev.skiff.kubelet.controller;

/**
 * A workload the manager refused (an immutable field changed, or it became invalid): {@code object} is
 * {@code Kind/namespace/name}; the previously accepted version, if any, stays in force.
 */
public record WorkloadError(String object, String reason) {
}
