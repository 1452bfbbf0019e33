package dev.skiff.volume.testing;

import dev.skiff.volume.PodStateProvider;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Pods and their worker states, set by the test. */
public final class FakePodState implements PodStateProvider {
    public final Map<String, Pod> pods = new ConcurrentHashMap<>();
    public final Set<String> terminating = ConcurrentHashMap.newKeySet();
    public final Set<String> running = ConcurrentHashMap.newKeySet();

    @Override
    public Collection<Pod> pods() {
        return List.copyOf(pods.values());
    }

    @Override
    public boolean isPodTerminationRequested(String uid) {
        return terminating.contains(uid);
    }

    @Override
    public boolean couldHaveRunningContainers(String uid) {
        return running.contains(uid);
    }

    /** A pod with an emptyDir volume per name in {@code emptyDirs} and a configMap volume per name in {@code configMaps}. */
    public static Pod pod(String uid, List<String> emptyDirs, List<String> configMaps) {
        PodBuilder b = new PodBuilder().withNewMetadata().withNamespace("default").withName("p-" + uid).withUid(uid)
                .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer().endSpec();
        for (String v : emptyDirs) {
            b.editSpec().addNewVolume().withName(v).withNewEmptyDir().endEmptyDir().endVolume().endSpec();
        }
        for (String v : configMaps) {
            b.editSpec().addNewVolume().withName(v).withNewConfigMap().withName(v).endConfigMap().endVolume().endSpec();
        }
        return b.build();
    }
}
