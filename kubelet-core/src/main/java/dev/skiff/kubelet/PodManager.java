package dev.skiff.kubelet;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The desired pods by uid, as the sources gave them (upstream's pod manager), and which of them admission
 * rejected. Thread-safe: the sync loop writes, pod workers and housekeeping read.
 */
final class PodManager {
    private final Map<String, Pod> pods = new LinkedHashMap<>();
    private final Set<String> rejected = new HashSet<>();

    synchronized void put(Pod pod) {
        pods.put(pod.getMetadata().getUid(), pod);
    }

    synchronized Optional<Pod> remove(String uid) {
        rejected.remove(uid);
        return Optional.ofNullable(pods.remove(uid));
    }

    synchronized Optional<Pod> get(String uid) {
        return Optional.ofNullable(pods.get(uid));
    }

    synchronized void reject(String uid) {
        rejected.add(uid);
    }

    synchronized boolean isRejected(String uid) {
        return rejected.contains(uid);
    }

    /** True for a desired pod that admission let in. */
    synchronized boolean isAdmitted(String uid) {
        return pods.containsKey(uid) && !rejected.contains(uid);
    }

    synchronized boolean isDesired(String uid) {
        return pods.containsKey(uid);
    }

    synchronized Set<String> admittedUids() {
        Set<String> out = new HashSet<>(pods.keySet());
        out.removeAll(rejected);
        return out;
    }

    synchronized Set<String> uids() {
        return Set.copyOf(pods.keySet());
    }

    synchronized List<Pod> admitted() {
        List<Pod> out = new ArrayList<>();
        pods.forEach((uid, pod) -> {
            if (!rejected.contains(uid)) {
                out.add(pod);
            }
        });
        return out;
    }
}
