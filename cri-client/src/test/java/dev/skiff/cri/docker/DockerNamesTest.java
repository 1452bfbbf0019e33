package dev.skiff.cri.docker;

import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.PodSandboxMetadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class DockerNamesTest {
    private static final PodSandboxMetadata POD = PodSandboxMetadata.newBuilder()
            .setName("web-0").setNamespace("shop").setUid("0b9e-41c2").setAttempt(3).build();
    private static final ContainerMetadata CTR = ContainerMetadata.newBuilder().setName("nginx").setAttempt(7).build();

    @Test
    void sandboxNameIsCriDockerdsScheme() {
        assertEquals("k8s_POD_web-0_shop_0b9e-41c2_3", DockerNames.sandbox(POD));
    }

    @Test
    void containerNameIsCriDockerdsScheme() {
        assertEquals("k8s_nginx_web-0_shop_0b9e-41c2_7", DockerNames.container(CTR, POD));
    }

    @Test
    void sandboxNameRoundTrips() {
        DockerNames.Parsed p = DockerNames.parse("/" + DockerNames.sandbox(POD)).orElseThrow();
        assertTrue(p.isSandbox());
        assertEquals(POD, p.podMetadata());
    }

    @Test
    void containerNameRoundTrips() {
        DockerNames.Parsed p = DockerNames.parse(DockerNames.container(CTR, POD)).orElseThrow();
        assertFalse(p.isSandbox());
        assertEquals(CTR, p.containerMetadata());
        assertEquals("web-0", p.podName());
        assertEquals("shop", p.podNamespace());
        assertEquals("0b9e-41c2", p.podUid());
    }

    @Test
    void attemptIsUnsigned32Bit() {
        PodSandboxMetadata big = POD.toBuilder().setAttempt(-1).build(); // uint32 4294967295 on the wire
        String name = DockerNames.sandbox(big);
        assertTrue(name.endsWith("_4294967295"), name);
        assertEquals(-1, DockerNames.parse(name).orElseThrow().attempt());
    }

    /** cri-dockerd appends "_%08x" after a Docker name conflict and still parses such names. */
    @Test
    void randomSuffixIsToleratedAsCriDockerdDoes() {
        DockerNames.Parsed p = DockerNames.parse("/k8s_POD_web-0_shop_0b9e-41c2_0_1a2b3c4d").orElseThrow();
        assertEquals("web-0", p.podName());
        assertEquals(0, p.attempt());
    }

    @Test
    void foreignNamesDoNotParse() {
        assertEquals(Optional.empty(), DockerNames.parse("/nginx"));
        assertEquals(Optional.empty(), DockerNames.parse("/k9s_POD_a_b_c_0"));
        assertEquals(Optional.empty(), DockerNames.parse("/k8s_POD_a_b_c_x"));
        assertEquals(Optional.empty(), DockerNames.parse("/k8s_POD_a_b_c"));
        assertEquals(Optional.empty(), DockerNames.parse(null));
    }

    /** A '_' inside a part would shift every later part; such names never come back as wrong metadata. */
    @Test
    void underscoreInAPartNeverMisparses() {
        assertEquals(Optional.empty(), DockerNames.parse("/k8s_POD_we_b_shop_uid_0"));
        assertEquals(Optional.empty(), DockerNames.parse("/k8s_my_ctr_web_shop_uid_0"));
    }

    @Test
    void underscoreInMetadataIsRejectedUpFront() {
        assertInvalid(() -> DockerNames.sandbox(POD.toBuilder().setName("we_b").build()));
        assertInvalid(() -> DockerNames.sandbox(POD.toBuilder().setNamespace("sh_op").build()));
        assertInvalid(() -> DockerNames.sandbox(POD.toBuilder().setUid("u_id").build()));
        assertInvalid(() -> DockerNames.container(CTR.toBuilder().setName("my_ctr").build(), POD));
    }

    private static void assertInvalid(Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("_"), e.getStatus().getDescription());
    }
}
