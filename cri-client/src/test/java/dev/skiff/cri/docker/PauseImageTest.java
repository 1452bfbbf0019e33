package dev.skiff.cri.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PauseImageTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void defaultImageIsFilledInByTheBuild() {
        String image = PauseImage.defaultImage();
        assertTrue(image.matches("skiff/pause:[A-Za-z0-9_.-]+"), image);
    }

    @Test
    void overrideWins() {
        assertEquals("registry.k8s.io/pause:3.9", new PauseImage(null, "registry.k8s.io/pause:3.9").name());
        assertEquals(PauseImage.defaultImage(), new PauseImage(null, null).name());
    }

    @Test
    void pauseBinaryIsAStaticElfExecutable() {
        byte[] pause = PauseImage.pauseBinary();
        assertTrue(pause.length > 1000);
        assertEquals(0x7f, pause[0]);
        assertEquals("ELF", new String(pause, 1, 3, StandardCharsets.US_ASCII));
        // No PT_INTERP: "/lib64/ld-linux" never appears in a static binary.
        assertFalse(new String(pause, StandardCharsets.ISO_8859_1).contains("/lib64/ld-linux"), "pause must be linked statically");
    }

    @Test
    void tarballIsADockerSaveArchive() throws IOException {
        byte[] pause = "not really an elf".getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> files = untar(PauseImage.tarball("skiff/pause:test", pause));

        JsonNode manifest = JSON.readTree(files.get("manifest.json"));
        assertEquals(1, manifest.size());
        JsonNode m = manifest.get(0);
        assertEquals("skiff/pause:test", m.get("RepoTags").get(0).asText());
        String configName = m.get("Config").asText();
        assertEquals("layer.tar", m.get("Layers").get(0).asText());

        byte[] configBytes = files.get(configName);
        assertNotNull(configBytes, "config " + configName + " in " + files.keySet());
        assertEquals(PauseImage.sha256(configBytes) + ".json", configName);
        JsonNode config = JSON.readTree(configBytes);
        assertEquals("amd64", config.get("architecture").asText());
        assertEquals("linux", config.get("os").asText());
        assertEquals("/pause", config.get("config").get("Entrypoint").get(0).asText());
        assertEquals("layers", config.get("rootfs").get("type").asText());
        byte[] layer = files.get("layer.tar");
        assertEquals("sha256:" + PauseImage.sha256(layer), config.get("rootfs").get("diff_ids").get(0).asText());

        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(layer))) {
            TarArchiveEntry e = in.getNextEntry();
            assertEquals("pause", e.getName().replaceFirst("^\\./", "").replaceFirst("^/", ""));
            assertEquals(0755, e.getMode() & 07777);
            assertArrayEquals(pause, in.readAllBytes());
        }
    }

    @Test
    void sameBinaryGivesTheSameImage() {
        byte[] pause = {1, 2, 3};
        assertArrayEquals(PauseImage.tarball("a:b", pause), PauseImage.tarball("a:b", pause));
    }

    private static Map<String, byte[]> untar(byte[] tar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.put(e.getName(), in.readAllBytes());
            }
        }
        return out;
    }
}
