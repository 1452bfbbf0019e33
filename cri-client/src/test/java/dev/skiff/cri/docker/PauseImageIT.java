package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.RemovePodSandboxRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Skiff's own pause image is imported into Docker on first use; a configured infra image replaces it. */
@Timeout(120)
class PauseImageIT {
    private static final String OVERRIDE = "skiff-test/pause-override:1";
    private final DockerClient docker = TestDocker.client();
    @TempDir
    Path logs;
    private PodFixture pods;

    @AfterEach
    void tearDown() {
        if (pods != null) {
            pods.close();
        }
        try {
            docker.removeImageCmd(OVERRIDE).exec();
        } catch (NotFoundException ignored) {
            // not made by this test
        }
    }

    @Test
    void importedWhenAbsent() {
        String image = PauseImage.defaultImage();
        if (TestImages.present(docker, image)) {
            List<?> users = docker.listContainersCmd().withShowAll(true).withAncestorFilter(List.of(image)).exec();
            assumeTrue(users.isEmpty(), "containers use " + image + " right now; cannot remove it to test the import");
            docker.removeImageCmd(image).exec();
        }
        assertFalse(TestImages.present(docker, image));

        pods = new PodFixture("skiff-pause-it", logs);
        PodSandboxConfig sandbox = pods.sandbox().build();
        String id = pods.run(sandbox);
        assertEquals(PodSandboxState.SANDBOX_READY, pods.sandboxStatus(id).getState());

        InspectImageResponse i = docker.inspectImageCmd(image).exec();
        assertEquals(List.of(image), i.getRepoTags());
        assertEquals("linux", i.getOs());
        assertEquals("amd64", i.getArch());
        assertEquals(List.of("/pause"), List.of(i.getConfig().getEntrypoint()));
        assertEquals(i.getId(), docker.inspectContainerCmd(id).exec().getImageId());
    }

    @Test
    void reimportedWhenRemovedAfterFirstUse() {
        String image = PauseImage.defaultImage();
        pods = new PodFixture("skiff-pause-it", logs);
        String first = pods.run(pods.sandbox().build()); // ensures the image once for this shim
        pods.rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(first).build());
        List<?> users = docker.listContainersCmd().withShowAll(true).withAncestorFilter(List.of(image)).exec();
        assumeTrue(users.isEmpty(), "containers use " + image + " right now; cannot remove it to test the re-import");
        docker.removeImageCmd(image).exec();

        String id = pods.run(pods.sandbox().build());
        assertEquals(PodSandboxState.SANDBOX_READY, pods.sandboxStatus(id).getState());
        assertTrue(TestImages.present(docker, image));
    }

    @Test
    void aConfiguredInfraImageOverridesOurs() {
        String ours = PauseImage.defaultImage();
        // Any present image with a long-running entrypoint will do: ours, under another name.
        try (PodFixture warm = new PodFixture("skiff-pause-it", logs)) {
            warm.run(warm.sandbox().build()); // makes sure ours is present
        }
        String repo = OVERRIDE.substring(0, OVERRIDE.indexOf(':'));
        docker.tagImageCmd(ours, repo, OVERRIDE.substring(OVERRIDE.indexOf(':') + 1)).exec();

        pods = new PodFixture("skiff-pause-it", logs, new DockerShimConfig(TestDocker.ENDPOINT, OVERRIDE));
        String id = pods.run(pods.sandbox().build());
        assertEquals(OVERRIDE, docker.inspectContainerCmd(id).exec().getConfig().getImage());
    }
}
