package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecretVolumeSource;
import io.fabric8.kubernetes.api.model.SecretVolumeSourceBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.skiff.volume.plugin.ConfigMapPayloadTest.f;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecretPayloadTest {
    private final MapObjects objects = new MapObjects().secret("ns", "creds", Map.of("user", "admin", "pass", "s3cret"));

    private static SecretVolumeSourceBuilder source(String name) {
        return new SecretVolumeSourceBuilder().withSecretName(name);
    }

    private Map<String, FileProjection> payload(SecretVolumeSource s) throws VolumeException {
        return SecretPayload.forVolume(s, "ns", objects);
    }

    @Test
    void dataIsBase64DecodedWithTheDefaultMode0644() throws VolumeException {
        assertEquals(Map.of("user", f("admin", 0644), "pass", f("s3cret", 0644)), payload(source("creds").build()));
    }

    @Test
    void binaryBytesSurviveAndStringDataWins() throws VolumeException {
        byte[] key = {(byte) 0x80, 0, (byte) 0xfe, (byte) 0xff};
        objects.add(new SecretBuilder().withNewMetadata().withNamespace("ns").withName("tls").endMetadata()
                .withData(Map.of("key", MapObjects.b64(key), "over", MapObjects.b64("old".getBytes())))
                .withStringData(Map.of("over", "new", "plain", "p")).build());
        assertEquals(Map.of("key", new FileProjection(key, 0600), "over", f("new", 0600), "plain", f("p", 0600)),
                payload(source("tls").withDefaultMode(0600).build()));
    }

    @Test
    void base64WithLineBreaksIsAccepted() throws VolumeException {
        objects.add(new SecretBuilder().withNewMetadata().withNamespace("ns").withName("wrapped").endMetadata()
                .withData(Map.of("k", "aGVs\nbG8=")).build());
        assertEquals(Map.of("k", f("hello", 0644)), payload(source("wrapped").build()));
    }

    @Test
    void invalidBase64IsReported() {
        objects.add(new SecretBuilder().withNewMetadata().withNamespace("ns").withName("bad").endMetadata()
                .withData(Map.of("k", "not*base64!")).build());
        VolumeException e = assertThrows(VolumeException.class, () -> payload(source("bad").build()));
        assertEquals("secret bad key k is not valid base64", e.getMessage());
    }

    @Test
    void itemsPickKeysWithTheirOwnModes() throws VolumeException {
        var s = source("creds").withDefaultMode(0400)
                .withItems(new KeyToPath("user", null, "login/user", null), new KeyToPath("pass", 0440, "pw", null)).build();
        assertEquals(Map.of("login/user", f("admin", 0400), "pw", f("s3cret", 0440)), payload(s));
    }

    @Test
    void aMissingSecretFailsUnlessOptional() throws VolumeException {
        VolumeException e = assertThrows(VolumeException.class, () -> payload(source("nope").build()));
        assertEquals("secret \"nope\" not found", e.getMessage());
        assertEquals(Map.of(), payload(source("nope").withOptional(true).build()));
    }

    @Test
    void aMissingKeyFailsUnlessOptional() throws VolumeException {
        var items = new KeyToPath[]{new KeyToPath("user", null, "u", null), new KeyToPath("token", null, "t", null)};
        VolumeException e = assertThrows(VolumeException.class, () -> payload(source("creds").withItems(items).build()));
        assertEquals("references non-existent secret key: token", e.getMessage());
        assertEquals(Map.of("u", f("admin", 0644)), payload(source("creds").withOptional(true).withItems(items).build()));
    }

    @Test
    void aNamelessSourceIsRefused() {
        VolumeException e = assertThrows(VolumeException.class, () -> payload(new SecretVolumeSource()));
        assertTrue(e.getMessage().contains("secretName is required"), e.getMessage());
    }
}
