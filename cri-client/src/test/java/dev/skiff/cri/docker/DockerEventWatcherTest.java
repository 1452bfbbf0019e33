package dev.skiff.cri.docker;

import dev.skiff.cri.v1.ListImagesResponse;
import org.junit.jupiter.api.Test;

import java.net.UnixDomainSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What each kind of event makes the indexes do (the stream itself is exercised against Docker in the ITs). */
class DockerEventWatcherTest {
    private final RuntimeIndexTest.FakeDocker docker = new RuntimeIndexTest.FakeDocker();
    private final RuntimeIndex containers = new RuntimeIndex(docker);
    private int imageLists;
    private final ImageIndex images = new ImageIndex(() -> {
        imageLists++;
        return ListImagesResponse.getDefaultInstance();
    }, ref -> Optional.empty());
    private final DockerEventWatcher watcher = new DockerEventWatcher(UnixDomainSocketAddress.of("/nonexistent"), () -> { },
            containers, images);

    private static final String POD = RuntimeIndexTest.id(1);

    @Test
    void aLifecycleEventOfAPodObjectReinspectsIt() {
        watcher.apply(new DockerEvent("container", "start", POD, Map.of(KubeLabels.TYPE, KubeLabels.TYPE_CONTAINER)));
        watcher.apply(new DockerEvent("container", "die", POD, Map.of(KubeLabels.TYPE, KubeLabels.TYPE_CONTAINER)));
        assertEquals(List.of(POD, POD), docker.inspected);
    }

    @Test
    void execAttachAndOtherContainersEventsAreIgnored() {
        watcher.apply(new DockerEvent("container", "exec_start", POD, Map.of(KubeLabels.TYPE, KubeLabels.TYPE_CONTAINER)));
        watcher.apply(new DockerEvent("container", "attach", POD, Map.of(KubeLabels.TYPE, KubeLabels.TYPE_CONTAINER)));
        watcher.apply(new DockerEvent("container", "start", RuntimeIndexTest.id(2), Map.of("name", "not-a-pod")));
        assertEquals(List.of(), docker.inspected);
    }

    @Test
    void aNetworkEventReinspectsAHeldSandboxOnly() {
        docker.objects.put(POD, RuntimeIndexTest.record(1, KubeLabels.TYPE_SANDBOX, "running", 1));
        containers.refresh(POD);
        docker.inspected.clear();
        watcher.apply(new DockerEvent("network", "disconnect", "net", Map.of("container", POD)));
        watcher.apply(new DockerEvent("network", "connect", "net", Map.of("container", RuntimeIndexTest.id(7))));
        assertEquals(List.of(POD), docker.inspected);
    }

    @Test
    void anImageEventDropsTheImageAnswers() {
        images.list();
        images.list();
        watcher.apply(new DockerEvent("image", "untag", "sha256:x", Map.of()));
        images.list();
        assertEquals(2, imageLists);
    }
}
