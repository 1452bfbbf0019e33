package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.ConfigMapProjection;
import io.fabric8.kubernetes.api.model.DownwardAPIProjection;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.ProjectedVolumeSource;
import io.fabric8.kubernetes.api.model.SecretProjection;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.VolumeProjectionBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.skiff.volume.plugin.ConfigMapPayloadTest.f;
import static dev.skiff.volume.plugin.DownwardApiPayloadTest.NODE;
import static dev.skiff.volume.plugin.DownwardApiPayloadTest.field;
import static dev.skiff.volume.plugin.DownwardApiPayloadTest.pod;
import static dev.skiff.volume.plugin.DownwardApiPayloadTest.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProjectedPayloadTest {
    private final MapObjects objects = new MapObjects()
            .configMap("shop", "cfg", Map.of("conf", "c=1", "other", "o"))
            .secret("shop", "creds", Map.of("token", "t0k"));

    private static VolumeProjection configMap(String name, Boolean optional, KeyToPath... items) {
        return new VolumeProjectionBuilder().withConfigMap(new ConfigMapProjection(List.of(items), name, optional)).build();
    }

    private static VolumeProjection secret(String name, Boolean optional, KeyToPath... items) {
        return new VolumeProjectionBuilder().withSecret(new SecretProjection(List.of(items), name, optional)).build();
    }

    private Map<String, FileProjection> payload(Integer defaultMode, VolumeProjection... sources) throws VolumeException {
        return ProjectedPayload.forVolume(new ProjectedVolumeSource(defaultMode, null, List.of(sources)), pod(), objects, NODE);
    }

    @Test
    void aMixOfSourcesWithTheVolumesDefaultMode() throws VolumeException {
        var downward = new VolumeProjectionBuilder().withDownwardAPI(new DownwardAPIProjection(List.of(
                field("podname", "metadata.name", null), resource("mem", "main", "limits.memory", "1Mi")))).build();
        assertEquals(Map.of(
                        "conf", f("c=1", 0440),
                        "other", f("o", 0440),
                        "creds/token", f("t0k", 0400),
                        "podname", f("web", 0440),
                        "mem", f("64", 0440)),
                payload(0440,
                        configMap("cfg", null),
                        secret("creds", null, new KeyToPath("token", 0400, "creds/token", null)),
                        downward));
    }

    @Test
    void theDefaultModeIs0644() throws VolumeException {
        assertEquals(Map.of("t", f("t0k", 0644)), payload(null, secret("creds", null, new KeyToPath("token", null, "t", null))));
    }

    @Test
    void missingOptionalSourcesAreSkipped() throws VolumeException {
        assertEquals(Map.of("conf", f("c=1", 0644)), payload(null,
                configMap("nope", true),
                secret("nope", true, new KeyToPath("k", null, "k", null)),
                configMap("cfg", null, new KeyToPath("conf", null, "conf", null))));
    }

    @Test
    void everyFailingSourceIsReported() {
        VolumeException e = assertThrows(VolumeException.class, () -> payload(null,
                configMap("nope", null), configMap("cfg", null), secret("creds", null, new KeyToPath("x", null, "x", null))));
        assertEquals("[configmap \"nope\" not found, references non-existent secret key: x]", e.getMessage());
    }

    @Test
    void apiServerIssuedSourcesAreRefusedWithTheReason() {
        var token = new VolumeProjectionBuilder().withNewServiceAccountToken().withPath("token").endServiceAccountToken().build();
        VolumeException e = assertThrows(VolumeException.class, () -> payload(null, token));
        assertTrue(e.getMessage().contains("serviceAccountToken") && e.getMessage().contains("API server"), e.getMessage());

        var bundle = new VolumeProjectionBuilder().withNewClusterTrustBundle().withPath("ca.pem").withName("b")
                .endClusterTrustBundle().build();
        VolumeException b = assertThrows(VolumeException.class, () -> payload(null, bundle));
        assertTrue(b.getMessage().contains("clusterTrustBundle") && b.getMessage().contains("API server"), b.getMessage());
    }
}
