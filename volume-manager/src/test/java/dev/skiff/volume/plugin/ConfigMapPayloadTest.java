package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeObjects;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapVolumeSource;
import io.fabric8.kubernetes.api.model.ConfigMapVolumeSourceBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigMapPayloadTest {
    private final MapObjects objects = new MapObjects().configMap("ns", "cfg", Map.of("a", "alpha", "b", "beta"));

    static FileProjection f(String data, int mode) {
        return new FileProjection(data.getBytes(StandardCharsets.UTF_8), mode);
    }

    private static ConfigMapVolumeSourceBuilder source(String name) {
        return new ConfigMapVolumeSourceBuilder().withName(name);
    }

    private Map<String, FileProjection> payload(ConfigMapVolumeSource s) throws VolumeException {
        return ConfigMapPayload.forVolume(s, "ns", objects);
    }

    @Test
    void everyKeyWithTheDefaultMode0644() throws VolumeException {
        assertEquals(Map.of("a", f("alpha", 0644), "b", f("beta", 0644)), payload(source("cfg").build()));
    }

    @Test
    void defaultModeAppliesToEveryKey() throws VolumeException {
        assertEquals(Map.of("a", f("alpha", 0400), "b", f("beta", 0400)),
                payload(source("cfg").withDefaultMode(0400).build()));
    }

    @Test
    void itemsPickKeysAndPlaceThemWithTheirOwnMode() throws VolumeException {
        var s = source("cfg").withDefaultMode(0440)
                .withItems(new KeyToPath("a", null, "dir/first", null), new KeyToPath("b", 0600, "second", null)).build();
        assertEquals(Map.of("dir/first", f("alpha", 0440), "second", f("beta", 0600)), payload(s));
    }

    @Test
    void binaryDataIsDecoded() throws VolumeException {
        byte[] bin = {0, (byte) 0xff, 10, 13};
        objects.add(new ConfigMapBuilder().withNewMetadata().withNamespace("ns").withName("bin").endMetadata()
                .withData(Map.of("t", "text")).withBinaryData(Map.of("b", MapObjects.b64(bin))).build());
        assertEquals(Map.of("t", f("text", 0644), "b", new FileProjection(bin, 0644)), payload(source("bin").build()));
        var item = source("bin").withItems(new KeyToPath("b", null, "blob", null)).build();
        assertEquals(Map.of("blob", new FileProjection(bin, 0644)), payload(item));
    }

    @Test
    void aMissingConfigMapFailsUnlessOptional() throws VolumeException {
        VolumeException e = assertThrows(VolumeException.class, () -> payload(source("nope").build()));
        assertEquals("configmap \"nope\" not found", e.getMessage());
        assertEquals(Map.of(), payload(source("nope").withOptional(true).build()));
        assertEquals(Map.of(), payload(source("nope").withOptional(true)
                .withItems(new KeyToPath("a", null, "a", null)).build()));
        assertThrows(VolumeException.class, () -> ConfigMapPayload.forVolume(source("cfg").build(), "other", objects),
                "looked up in the pod's namespace");
    }

    @Test
    void aMissingKeyFailsUnlessOptional() throws VolumeException {
        var items = new KeyToPath[]{new KeyToPath("a", null, "a", null), new KeyToPath("zzz", null, "z", null)};
        VolumeException e = assertThrows(VolumeException.class, () -> payload(source("cfg").withItems(items).build()));
        assertEquals("configmap references non-existent config key: zzz", e.getMessage());
        assertEquals(Map.of("a", f("alpha", 0644)), payload(source("cfg").withOptional(true).withItems(items).build()));
    }

    @Test
    void modesOutOfRangeAreRefused() {
        VolumeException e = assertThrows(VolumeException.class, () -> payload(source("cfg").withDefaultMode(01000).build()));
        assertTrue(e.getMessage().contains("between 0 and 0777"), e.getMessage());
        assertThrows(VolumeException.class, () -> payload(source("cfg")
                .withItems(new KeyToPath("a", -1, "a", null)).build()));
    }

    @Test
    void aNamelessSourceIsRefused() {
        assertThrows(VolumeException.class, () -> ConfigMapPayload.forVolume(new ConfigMapVolumeSource(), "ns",
                VolumeObjects.none()));
    }
}
