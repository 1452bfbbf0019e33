package dev.skiff.kubelet.status;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatusManagerTest {
    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-24T10:00:00Z"));

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(long seconds) {
            now.updateAndGet(t -> t.plusSeconds(seconds));
        }
    }

    private final MovableClock clock = new MovableClock();
    private final StatusManager manager = new StatusManager(clock);

    private static Pod pod(String uid, String name) {
        return CriFixtures.pod("Always", "app").editMetadata().withUid(uid).withName(name).endMetadata().build();
    }

    private static PodStatus status(String phase, String ready) {
        return new PodStatusBuilder().withPhase(phase).withStartTime("2026-11-24T10:00:00Z")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready).build(),
                        new PodConditionBuilder().withType("PodScheduled").withStatus("True").build())
                .build();
    }

    private static PodCondition cond(PodStatus s, String type) {
        return s.getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
    }

    @Test
    void transitionTimeIsKeptWhileTheConditionStatusHolds() {
        Pod p = pod("u1", "web");
        PodStatus first = manager.setPodStatus(p, status("Pending", "False"));
        assertEquals("2026-11-24T10:00:00Z", cond(first, "Ready").getLastTransitionTime());
        clock.advance(30);
        PodStatus same = manager.setPodStatus(p, status("Pending", "False"));
        assertEquals("2026-11-24T10:00:00Z", cond(same, "Ready").getLastTransitionTime());
        clock.advance(30);
        PodStatus flipped = manager.setPodStatus(p, status("Running", "True"));
        assertEquals("2026-11-24T10:01:00Z", cond(flipped, "Ready").getLastTransitionTime());
        assertEquals("2026-11-24T10:00:00Z", cond(flipped, "PodScheduled").getLastTransitionTime());
        assertEquals("2026-11-24T10:01:00Z", cond(manager.status("u1").orElseThrow(), "Ready").getLastTransitionTime());
    }

    @Test
    void aReadinessResultSetsReadyAndBothConditionsAtOnce() {
        Pod p = pod("u1", "web");
        PodStatus s = new PodStatusBuilder().withPhase("Running")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("False").build(),
                        new PodConditionBuilder().withType("ContainersReady").withStatus("False").build(),
                        new PodConditionBuilder().withType("PodScheduled").withStatus("True").build())
                .addNewContainerStatus().withName("app").withContainerID("docker://abc").withReady(false)
                .withNewState().withNewRunning().withStartedAt("2026-11-24T10:00:00Z").endRunning().endState()
                .endContainerStatus().build();
        manager.setPodStatus(p, s);
        clock.advance(5);

        assertTrue(manager.setContainerReadiness("u1", "abc", true));
        PodStatus now = manager.status("u1").orElseThrow();
        assertEquals(true, now.getContainerStatuses().get(0).getReady());
        assertEquals("True", condition(now, "Ready").getStatus());
        assertEquals("True", condition(now, "ContainersReady").getStatus());
        assertEquals("2026-11-24T10:00:05Z", condition(now, "Ready").getLastTransitionTime());
        assertEquals("True", condition(now, "PodScheduled").getStatus());

        assertEquals(false, manager.setContainerReadiness("u1", "abc", true), "no change");
        assertEquals(false, manager.setContainerReadiness("u1", "other", false), "not this pod's container");
        assertEquals(false, manager.setContainerReadiness("u2", "abc", false), "unknown pod");
        assertTrue(manager.setContainerReadiness("u1", "abc", false));
        assertEquals("False", condition(manager.status("u1").orElseThrow(), "Ready").getStatus());
    }

    private static PodCondition condition(PodStatus s, String type) {
        return s.getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
    }

    @Test
    void aTerminalPhaseIsNeverLeft() {
        Pod p = pod("u1", "web");
        manager.setPodStatus(p, new PodStatusBuilder(status("Failed", "False")).withReason("NodeName").withMessage("Pod was rejected: x").build());
        PodStatus after = manager.setPodStatus(p, status("Running", "True"));
        assertEquals("Failed", after.getPhase());
        assertEquals("NodeName", after.getReason());
        manager.setPodStatus(pod("u2", "job"), status("Succeeded", "False"));
        assertEquals("Succeeded", manager.setPodStatus(pod("u2", "job"), status("Pending", "False")).getPhase());
        assertEquals("Succeeded", manager.status("u2").orElseThrow().getPhase());
    }

    @Test
    void startTimeIsKept() {
        Pod p = pod("u1", "web");
        manager.setPodStatus(p, status("Pending", "False"));
        PodStatus later = manager.setPodStatus(p, new PodStatusBuilder(status("Running", "True")).withStartTime("2026-11-24T11:00:00Z").build());
        assertEquals("2026-11-24T10:00:00Z", later.getStartTime());
    }

    @Test
    void aDeletedPodCarriesItsDeletionUntilRemovedAndShowsTerminating() {
        Pod p = pod("u1", "web");
        manager.setPodStatus(p, status("Running", "True"));
        manager.markDeleted("u1", clock.instant(), java.time.Duration.ofSeconds(20));
        clock.advance(5);
        manager.markDeleted("u1", clock.instant(), java.time.Duration.ofSeconds(1)); // the first deletion stays
        manager.setPodStatus(p, status("Running", "True")); // the kill's status update keeps it too
        Pod listed = manager.pods().get(0);
        assertEquals("2026-11-24T10:00:20Z", listed.getMetadata().getDeletionTimestamp());
        assertEquals(20L, listed.getMetadata().getDeletionGracePeriodSeconds());
        assertEquals("Terminating", dev.skiff.kubelet.server.PodTable.row(listed, clock.instant())[2]);

        manager.markDeleted("unknown", clock.instant(), java.time.Duration.ZERO);
        assertEquals(1, manager.pods().size(), "a uid without a status is not listed by being marked");
        manager.remove("u1");
        manager.setPodStatus(p, status("Running", "True"));
        assertEquals(null, manager.pods().get(0).getMetadata().getDeletionTimestamp(), "a removed pod's mark is gone");
    }

    @Test
    void returnedStatusesAreCopies() {
        Pod p = pod("u1", "web");
        manager.setPodStatus(p, status("Pending", "False"));
        manager.status("u1").orElseThrow().setPhase("Running");
        assertEquals("Pending", manager.status("u1").orElseThrow().getPhase());
    }

    @Test
    void removeForgetsAndPodsListsSorted() {
        manager.setPodStatus(pod("u2", "zeta"), status("Running", "True"));
        manager.setPodStatus(pod("u1", "alpha"), status("Pending", "False"));
        List<Pod> pods = manager.pods();
        assertEquals(List.of("alpha", "zeta"), pods.stream().map(x -> x.getMetadata().getName()).toList());
        assertEquals("Running", pods.get(1).getStatus().getPhase());
        manager.remove("u2");
        assertTrue(manager.status("u2").isEmpty());
        assertEquals(1, manager.pods().size());
    }

    @Test
    void concurrentUpdatesAreSafe() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int n = i;
            fs.add(pool.submit(() -> {
                go.await();
                for (int j = 0; j < 200; j++) {
                    manager.setPodStatus(pod("u" + n, "p" + n), status(j % 2 == 0 ? "Pending" : "Running", j % 2 == 0 ? "False" : "True"));
                    manager.pods();
                }
                return null;
            }));
        }
        go.countDown();
        for (var f : fs) {
            f.get(10, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(8, manager.pods().size());
    }

    /** The cluster DNS follows pods through the listener: each stored change, the deletion, the removal. */
    @Test
    void listenerHearsEveryStoredChangeTheDeletionAndTheRemoval() {
        List<String> heard = new ArrayList<>();
        manager.setListener(new PodStatusListener() {
            @Override
            public void podStatusChanged(Pod pod, PodStatus status) {
                heard.add(pod.getMetadata().getUid() + " " + status.getPhase() + " " + cond(status, "Ready").getStatus()
                        + (pod.getMetadata().getDeletionTimestamp() == null ? "" : " deleting"));
            }

            @Override
            public void podRemoved(String uid) {
                heard.add(uid + " removed");
            }
        });
        manager.setPodStatus(pod("u1", "a"), status("Running", "False"));
        manager.setPodStatus(pod("u1", "a"), status("Running", "True"));
        manager.markDeleted("u1", clock.instant(), java.time.Duration.ofSeconds(5));
        manager.remove("u1");
        manager.remove("u1"); // gone already: nothing more to tell
        assertEquals(List.of("u1 Running False", "u1 Running True", "u1 Running True deleting", "u1 removed"), heard);
    }
}
