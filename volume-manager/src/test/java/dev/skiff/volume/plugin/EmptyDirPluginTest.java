package dev.skiff.volume.plugin;

import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EmptyDirPluginTest {
    private static final long GI = 1L << 30;
    private static final long MI = 1L << 20;

    private static Pod pod(String... memoryLimits) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName("p").withUid("u").endMetadata().withNewSpec().endSpec();
        int i = 0;
        for (String limit : memoryLimits) {
            var c = b.editSpec().addNewContainer().withName("c" + i++).withImage("busybox");
            if (!limit.isEmpty()) {
                c = c.withNewResources().addToLimits("memory", new Quantity(limit)).endResources();
            }
            b = c.endContainer().endSpec();
        }
        return b.build();
    }

    private static EmptyDirVolumeSource memory(String sizeLimit) {
        EmptyDirVolumeSource s = new EmptyDirVolumeSource();
        s.setMedium("Memory");
        if (sizeLimit != null) {
            s.setSizeLimit(new Quantity(sizeLimit));
        }
        return s;
    }

    @Test
    void tmpfsSizeFollowsUpstream() {
        assertEquals(8 * GI, EmptyDirPlugin.tmpfsSize(pod(""), memory(null), 8 * GI), "no limits: node allocatable");
        assertEquals(192 * MI, EmptyDirPlugin.tmpfsSize(pod("64Mi", "128Mi"), memory(null), 8 * GI), "the pod's limit");
        assertEquals(8 * GI, EmptyDirPlugin.tmpfsSize(pod("64Mi", ""), memory(null), 8 * GI), "one container unlimited");
        assertEquals(MI, EmptyDirPlugin.tmpfsSize(pod("64Mi"), memory("1Mi"), 8 * GI), "a smaller sizeLimit wins");
        assertEquals(64 * MI, EmptyDirPlugin.tmpfsSize(pod("64Mi"), memory("1Gi"), 8 * GI), "a larger one does not");
        assertEquals(0, EmptyDirPlugin.tmpfsSize(pod(""), memory(null), 0), "nothing known: the kernel's default");
        assertEquals(MI, EmptyDirPlugin.tmpfsSize(pod(""), memory("1Mi"), 0));
    }
}
