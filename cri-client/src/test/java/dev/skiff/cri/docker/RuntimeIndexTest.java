package dev.skiff.cri.docker;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuntimeIndexTest {
    /** Docker as a map; counts inspects; may run something in the middle of one (a concurrent change). */
    static final class FakeDocker implements RuntimeIndex.Source {
        final Map<String, ContainerRecord> objects = new HashMap<>();
        final List<String> inspected = new ArrayList<>();
        Runnable duringList = () -> { };
        RuntimeException failure;

        @Override
        public Optional<ContainerRecord> inspect(String id) {
            inspected.add(id);
            if (failure != null) {
                throw failure;
            }
            return Optional.ofNullable(objects.get(id));
        }

        @Override
        public List<String> ids() {
            List<String> ids = List.copyOf(objects.keySet());
            duringList.run();
            return ids;
        }
    }

    static String id(int n) {
        return String.format("%064x", n);
    }

    static ContainerRecord record(int n, String type, String state, long created) {
        return new ContainerRecord(id(n), type, "/k8s_c_p_ns_uid_0", Map.of(KubeLabels.TYPE, type), state, created,
                "img:1", "sha256:" + id(99), false, "", null, null);
    }

    private final FakeDocker docker = new FakeDocker();
    private final RuntimeIndex index = new RuntimeIndex(docker);

    @Test
    void answersOnlyWhileLiveAndOnlyForFullIds() {
        assertFalse(index.answers(id(1)));
        index.live(true);
        assertTrue(index.answers(id(1)));
        assertFalse(index.answers(id(1).substring(0, 12)), "a prefix is resolved by Docker");
        assertFalse(index.answers("k8s_c_p_ns_uid_0"), "a name is resolved by Docker");
        assertFalse(index.answers(""));
        assertFalse(index.answers(null));
    }

    @Test
    void anIdNotHeldIsInspectedOnceThenAnsweredFromTheIndex() {
        docker.objects.put(id(1), record(1, KubeLabels.TYPE_CONTAINER, "created", 5));
        assertEquals("created", index.require(id(1), KubeLabels.TYPE_CONTAINER, "container").dockerState());
        docker.objects.put(id(1), record(1, KubeLabels.TYPE_CONTAINER, "running", 5)); // no event, no mark
        assertEquals("created", index.require(id(1), KubeLabels.TYPE_CONTAINER, "container").dockerState());
        assertEquals(List.of(id(1)), docker.inspected);
    }

    @Test
    void aMarkedIdIsInspectedAgainByTheNextRead() {
        docker.objects.put(id(1), record(1, KubeLabels.TYPE_CONTAINER, "created", 5));
        index.refresh(id(1));
        docker.objects.put(id(1), record(1, KubeLabels.TYPE_CONTAINER, "running", 5));
        index.changed(id(1));
        assertEquals("running", index.require(id(1), KubeLabels.TYPE_CONTAINER, "container").dockerState());
        assertEquals("running", index.all(KubeLabels.TYPE_CONTAINER).get(0).dockerState());
        assertEquals(2, docker.inspected.size(), "inspected at refresh and once after the mark");
    }

    @Test
    void aNewlyCreatedMarkedIdIsListed() {
        docker.objects.put(id(2), record(2, KubeLabels.TYPE_CONTAINER, "created", 5));
        index.changed(id(2));
        assertEquals(List.of(id(2)), index.all(KubeLabels.TYPE_CONTAINER).stream().map(ContainerRecord::id).toList());
    }

    @Test
    void anotherKindOrAnUnknownIdIsNotFound() {
        docker.objects.put(id(1), record(1, KubeLabels.TYPE_SANDBOX, "running", 5));
        assertTrue(index.find(id(1), KubeLabels.TYPE_CONTAINER, "container").isEmpty());
        assertTrue(index.find(id(1), KubeLabels.TYPE_SANDBOX, "pod sandbox").isPresent());
        var e = assertThrows(io.grpc.StatusRuntimeException.class, () -> index.require(id(3), KubeLabels.TYPE_CONTAINER, "container"));
        assertEquals(io.grpc.Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals("container " + id(3) + " not found", e.getStatus().getDescription());
    }

    @Test
    void listsNewestFirstPerType() {
        docker.objects.put(id(1), record(1, KubeLabels.TYPE_CONTAINER, "running", 10));
        docker.objects.put(id(2), record(2, KubeLabels.TYPE_CONTAINER, "running", 30));
        docker.objects.put(id(3), record(3, KubeLabels.TYPE_CONTAINER, "exited", 20));
        docker.objects.put(id(4), record(4, KubeLabels.TYPE_SANDBOX, "running", 40));
        index.resync();
        assertEquals(List.of(id(2), id(3), id(1)), index.all(KubeLabels.TYPE_CONTAINER).stream().map(ContainerRecord::id).toList());
        assertEquals(List.of(id(4)), index.all(KubeLabels.TYPE_SANDBOX).stream().map(ContainerRecord::id).toList());
    }

    @Test
    void removedIsForgottenAndAGoneObjectIsDroppedWhenInspected() {
        docker.objects.put(id(1), record(1, KubeLabels.TYPE_CONTAINER, "running", 10));
        docker.objects.put(id(2), record(2, KubeLabels.TYPE_CONTAINER, "running", 20));
        index.resync();
        index.removed(id(1));
        docker.objects.remove(id(2));
        index.refresh(id(2)); // its destroy event
        assertEquals(List.of(), index.all(KubeLabels.TYPE_CONTAINER));
        assertFalse(index.knows(id(1)));
    }

    @Test
    void resyncDropsWhatIsGoneButKeepsWhatWasSeenAfterTheList() {
        docker.objects.put(id(1), record(1, KubeLabels.TYPE_CONTAINER, "running", 10));
        docker.objects.put(id(2), record(2, KubeLabels.TYPE_CONTAINER, "running", 20));
        index.resync();
        docker.objects.remove(id(1)); // gone while the stream was down
        // created (and read through the shim) after Docker listed its containers for the resync
        docker.duringList = () -> {
            docker.objects.put(id(5), record(5, KubeLabels.TYPE_CONTAINER, "created", 50));
            index.refresh(id(5));
        };
        index.resync();
        assertEquals(List.of(id(5), id(2)), index.all(KubeLabels.TYPE_CONTAINER).stream().map(ContainerRecord::id).toList());
    }

    @Test
    void aFailedInspectLeavesTheIdMarked() {
        docker.objects.put(id(1), record(1, KubeLabels.TYPE_CONTAINER, "running", 10));
        index.refresh(id(1));
        index.changed(id(1));
        docker.failure = new RuntimeException("connection refused");
        var e = assertThrows(io.grpc.StatusRuntimeException.class, () -> index.find(id(1), KubeLabels.TYPE_CONTAINER, "container"));
        assertTrue(e.getStatus().getDescription().contains(id(1)), e.getStatus().toString());
        docker.failure = null;
        docker.objects.put(id(1), record(1, KubeLabels.TYPE_CONTAINER, "exited", 10));
        assertEquals("exited", index.require(id(1), KubeLabels.TYPE_CONTAINER, "container").dockerState(),
                "still marked: inspected again, not the old record");
    }
}
