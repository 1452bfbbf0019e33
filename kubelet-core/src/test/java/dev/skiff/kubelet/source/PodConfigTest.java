package dev.skiff.kubelet.source;

import dev.skiff.kubelet.pod.StaticPods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PodConfigTest {
    private final PodConfig config = new PodConfig();

    private static Pod pod(String name, String uid, String image, String seen) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").withUid(uid)
                .addToAnnotations(StaticPods.CONFIG_SEEN, seen).addToAnnotations(StaticPods.CONFIG_HASH, uid)
                .endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage(image).endContainer().endSpec()
                .withNewStatus().withPhase("Pending").endStatus().build();
    }

    private PodUpdate next() throws InterruptedException {
        PodUpdate u = config.poll(Duration.ofMillis(100));
        assertNotNull(u);
        return u;
    }

    private void assertNoMore() throws InterruptedException {
        assertNull(config.poll(Duration.ofMillis(10)));
    }

    @Test
    void firstEmptySetSaysTheSourceIsReady() throws Exception {
        assertFalse(config.seenAllSources(Set.of("file")));
        config.update("file", List.of());
        PodUpdate u = next();
        assertEquals(PodUpdate.Op.ADD, u.op());
        assertTrue(u.pods().isEmpty());
        assertTrue(config.seenAllSources(Set.of("file")));
        assertFalse(config.seenAllSources(Set.of("file", "http")));
        config.update("file", List.of());
        assertNoMore();
    }

    @Test
    void addUpdateRemoveByUid() throws Exception {
        config.update("file", List.of(pod("a", "u1", "img:1", "t1")));
        PodUpdate add = next();
        assertEquals(PodUpdate.Op.ADD, add.op());
        assertEquals("file", add.pods().get(0).getMetadata().getAnnotations().get(StaticPods.CONFIG_SOURCE));
        assertNoMore();

        config.update("file", List.of(pod("a", "u1", "img:2", "t2")));
        PodUpdate update = next();
        assertEquals(PodUpdate.Op.UPDATE, update.op());
        Pod updated = update.pods().get(0);
        assertEquals("img:2", updated.getSpec().getContainers().get(0).getImage());
        assertEquals("t1", updated.getMetadata().getAnnotations().get(StaticPods.CONFIG_SEEN), "first-seen kept");

        config.update("file", List.of(pod("b", "u2", "img:1", "t3")));
        PodUpdate remove = next();
        assertEquals(PodUpdate.Op.REMOVE, remove.op());
        assertEquals("u1", remove.pods().get(0).getMetadata().getUid());
        assertEquals(PodUpdate.Op.ADD, next().op());
        assertNoMore();
        assertEquals(List.of("u2"), config.pods().stream().map(p -> p.getMetadata().getUid()).toList());
    }

    @Test
    void configSeenAloneIsNoChangeStatusAloneIsReconcile() throws Exception {
        config.update("file", List.of(pod("a", "u1", "img:1", "t1")));
        next();
        config.update("file", List.of(pod("a", "u1", "img:1", "t2")));
        assertNoMore();

        Pod running = pod("a", "u1", "img:1", "t3");
        running.getStatus().setPhase("Running");
        config.update("file", List.of(running));
        PodUpdate u = next();
        assertEquals(PodUpdate.Op.RECONCILE, u.op());
        assertEquals("Running", u.pods().get(0).getStatus().getPhase());
        assertEquals("t1", u.pods().get(0).getMetadata().getAnnotations().get(StaticPods.CONFIG_SEEN));
        assertNoMore();
    }

    @Test
    void otherAnnotationsAndLabelsAreUpdates() throws Exception {
        config.update("file", List.of(pod("a", "u1", "img:1", "t1")));
        next();
        Pod annotated = pod("a", "u1", "img:1", "t1");
        annotated.getMetadata().getAnnotations().put("example.com/x", "y");
        config.update("file", List.of(annotated));
        assertEquals(PodUpdate.Op.UPDATE, next().op());
        Pod labelled = pod("a", "u1", "img:1", "t1");
        labelled.getMetadata().getAnnotations().put("example.com/x", "y");
        labelled.getMetadata().setLabels(java.util.Map.of("app", "a"));
        config.update("file", List.of(labelled));
        assertEquals(PodUpdate.Op.UPDATE, next().op());
        assertNoMore();
    }

    @Test
    void sourcesAreKeptApart() throws Exception {
        config.update("file", List.of(pod("a", "u1", "img:1", "t1")));
        next();
        config.update("http", List.of(pod("b", "u2", "img:1", "t1")));
        PodUpdate u = next();
        assertEquals("http", u.source());
        assertEquals(PodUpdate.Op.ADD, u.op());
        config.update("http", List.of());
        assertEquals(PodUpdate.Op.REMOVE, next().op());
        assertEquals(1, config.pods().size(), "the file pod is untouched");
        assertNoMore();
    }

    @Test
    void duplicateNameInOneSetKeepsTheFirst() throws Exception {
        config.update("file", List.of(pod("a", "u1", "img:1", "t1"), pod("a", "u2", "img:2", "t1")));
        PodUpdate u = next();
        assertEquals(1, u.pods().size());
        assertEquals("u1", u.pods().get(0).getMetadata().getUid());
    }

    @Test
    void deliveredPodsAreCopies() throws Exception {
        Pod mine = pod("a", "u1", "img:1", "t1");
        config.update("file", List.of(mine));
        Pod delivered = next().pods().get(0);
        mine.getSpec().getContainers().get(0).setImage("changed");
        assertEquals("img:1", delivered.getSpec().getContainers().get(0).getImage());
        assertNull(mine.getMetadata().getAnnotations().get(StaticPods.CONFIG_SOURCE));
    }
}
