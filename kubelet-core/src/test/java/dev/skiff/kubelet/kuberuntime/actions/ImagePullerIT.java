package dev.skiff.kubelet.kuberuntime.actions;

import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/** ImagePuller against the real Docker Engine through the Docker CRI shim; no registry is reached. */
class ImagePullerIT {
    private DockerCriRuntime cri;
    private final ImagePuller puller = new ImagePuller();
    private final Pod pod = new PodBuilder().withNewMetadata().withName("web-node1").withNamespace("default")
            .withUid(UUID.randomUUID().toString()).endMetadata().build();

    @BeforeEach
    void setUp() {
        cri = DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null));
    }

    @AfterEach
    void tearDown() {
        cri.close();
    }

    private static Container container(String image, String policy) {
        return new ContainerBuilder().withName("app").withImage(image).withImagePullPolicy(policy).build();
    }

    @Test
    void presentImageNeedsNoPull() {
        String busybox = TestImages.busybox(TestDocker.client());
        String id = TestDocker.client().inspectImageCmd(busybox).exec().getId();
        EnsureResult r = puller.ensure(pod, container(busybox, "IfNotPresent"), cri.images());
        assertTrue(r.ok(), r.toString());
        assertEquals(id, r.imageRef().orElseThrow());
        assertEquals("Container image \"" + busybox + "\" already present on machine", r.message());
    }

    @Test
    void neverWithAbsentImageIsErrImageNeverPull() {
        String absent = "skiff-test/absent-" + UUID.randomUUID().toString().substring(0, 8) + ":1";
        EnsureResult r = puller.ensure(pod, container(absent, "Never"), cri.images());
        assertEquals("ErrImageNeverPull", r.reason());
        assertEquals("Container image \"" + absent + "\" is not present with pull policy of Never", r.message());
    }

    @Test
    void unreachableRegistryIsErrImagePullThenBackOff() {
        String image = "127.0.0.1:1/nope:1";
        EnsureResult first = puller.ensure(pod, container(image, "IfNotPresent"), cri.images());
        assertEquals("ErrImagePull", first.reason(), first.toString());
        assertTrue(first.message().contains(image), first.message());
        assertTrue(first.message().startsWith("rpc error: code = "), first.message());

        EnsureResult retry = puller.ensure(pod, container(image, "IfNotPresent"), cri.images());
        assertEquals("ImagePullBackOff", retry.reason());
        assertEquals("Back-off pulling image \"127.0.0.1:1/nope:1\"", retry.message());
    }
}
