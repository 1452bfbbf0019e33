package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.RemovePodSandboxRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Skiff's own pause image is imported into Docker on first use, and again when it is removed; a configured infra
 * image replaces it. The import is tested under an image name of the test's own, so the test removes nothing another
 * pod, test or runtime on the machine uses, and it holds when the image carries other tags (a host that re-tags it
 * for another runtime, e.g. as registry.k8s.io/pause:3.9): Docker then removes only the one tag.
 */
@Timeout(300)
class PauseImageIT {
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    /** Our pause image under a name of this test's own. */
    private final String ours = "skiff-test/pause-" + run + ":1";
    /** Another tag on the same image, as another runtime's re-tag would be. */
    private final String otherTag = "skiff-test/pause-" + run + "-other:3.9";
    private final String override = "skiff-test/pause-override-" + run + ":1";
    private final DockerClient docker = TestDocker.client();
    @TempDir
    Path logs;
    private PodFixture pods;

    @AfterEach
    void tearDown() {
        if (pods != null) {
            pods.close();
        }
        for (String tag : List.of(ours, otherTag, override)) {
            try {
                docker.removeImageCmd(tag).exec(); // by tag: only the name goes while another tag holds the image
            } catch (NotFoundException ignored) {
                // not made by this test
            }
        }
    }

    @Test
    void importedWhenAbsent() {
        assertFalse(TestImages.present(docker, ours));

        pods = fixtureImporting(ours);
        String id = pods.run(pods.sandbox().build());
        assertEquals(PodSandboxState.SANDBOX_READY, pods.sandboxStatus(id).getState());

        InspectImageResponse i = docker.inspectImageCmd(ours).exec();
        assertTrue(i.getRepoTags().contains(ours), "tags " + i.getRepoTags());
        assertEquals("linux", i.getOs());
        assertEquals("amd64", i.getArch());
        assertEquals(List.of("/pause"), List.of(i.getConfig().getEntrypoint()));
        assertEquals(ours, docker.inspectContainerCmd(id).exec().getConfig().getImage());
        assertEquals(i.getId(), docker.inspectContainerCmd(id).exec().getImageId());
    }

    @Test
    void reimportedWhenItsTagIsRemovedWhileAnotherTagKeepsTheImage() {
        pods = fixtureImporting(ours);
        String first = pods.run(pods.sandbox().build()); // ensures the image once for this shim
        pods.rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(first).build());
        String imageId = docker.inspectImageCmd(ours).exec().getId();
        tag(ours, otherTag);
        docker.removeImageCmd(ours).exec();
        assertFalse(TestImages.present(docker, ours), "our tag is gone");
        assertEquals(imageId, docker.inspectImageCmd(otherTag).exec().getId(), "the image stays under its other tag");

        String id = pods.run(pods.sandbox().build());
        assertEquals(PodSandboxState.SANDBOX_READY, pods.sandboxStatus(id).getState());
        assertEquals(ours, docker.inspectContainerCmd(id).exec().getConfig().getImage());
        assertEquals(imageId, docker.inspectImageCmd(ours).exec().getId(), "the same image, tagged again");
        assertTrue(docker.inspectImageCmd(ours).exec().getRepoTags().containsAll(List.of(ours, otherTag)));
    }

    @Test
    void aConfiguredInfraImageOverridesOurs() {
        // Any present image with a long-running entrypoint will do: ours, under another name.
        try (PodFixture warm = fixtureImporting(ours)) {
            warm.run(warm.sandbox().build()); // makes sure ours is present
        }
        tag(ours, override);

        pods = new PodFixture("skiff-pause-it", logs, new DockerShimConfig(TestDocker.ENDPOINT, override));
        String id = pods.run(pods.sandbox().build());
        assertEquals(override, docker.inspectContainerCmd(id).exec().getConfig().getImage());
    }

    private PodFixture fixtureImporting(String pauseImage) {
        return new PodFixture("skiff-pause-it", logs,
                () -> DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null), pauseImage));
    }

    private void tag(String image, String as) {
        int colon = as.lastIndexOf(':');
        docker.tagImageCmd(image, as.substring(0, colon), as.substring(colon + 1)).exec();
    }
}
