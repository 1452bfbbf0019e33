package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumePaths;
import dev.skiff.volume.mount.LinuxMounter;
import dev.skiff.volume.mount.TestMounts;
import io.fabric8.kubernetes.api.model.ConfigMapProjection;
import io.fabric8.kubernetes.api.model.DownwardAPIProjection;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeProjectionBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static dev.skiff.volume.plugin.DownwardApiPayloadTest.field;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** configMap and downwardAPI on disk, projected on a tmpfs: set up, updated in place, torn down. */
class ApiDataPluginsIT {
    private static final NodeResources NODE = new NodeResources(2000, 4L << 30);
    private Path root;
    private VolumeDirs dirs;
    private MapObjects objects;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createTempDirectory("skiff-apidata-it").toRealPath();
        dirs = new VolumeDirs(new LinuxMounter());
        objects = new MapObjects().configMap("shop", "cfg", Map.of("app.conf", "v=1"))
                .secret("shop", "db", Map.of("pass", "s3cret"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        TestMounts.unmountAllAndDelete(root);
    }

    private static Pod pod(String release) {
        return new PodBuilder().withNewMetadata().withName("web").withNamespace("shop").withUid("uid-apidata")
                .withLabels(Map.of("release", release)).endMetadata().withNewSpec().endSpec().build();
    }

    private VolumeSpec spec(Pod pod, Volume volume, String plugin) {
        return new VolumeSpec(pod, volume, new VolumePaths(root).volumeDir("uid-apidata", plugin, volume.getName()));
    }

    private static String dataTarget(Path dir) throws IOException {
        return Files.readSymbolicLink(dir.resolve("..data")).toString();
    }

    @Test
    void configMapOnDiskFollowsItsObject() throws Exception {
        ConfigMapPlugin plugin = new ConfigMapPlugin(dirs, objects);
        VolumeSpec spec = spec(pod("a"), new VolumeBuilder().withName("conf").withNewConfigMap().withName("cfg")
                .endConfigMap().build(), ConfigMapPlugin.NAME);
        plugin.setUp(spec);
        assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(spec.dir())));
        assertEquals("v=1", Files.readString(spec.dir().resolve("app.conf")));
        assertEquals(List.of(), TestMounts.entriesAt(spec.dir()), "a configMap is a plain directory");
        String first = dataTarget(spec.dir());

        plugin.setUp(spec);
        assertEquals(first, dataTarget(spec.dir()), "unchanged: not rewritten");

        objects.configMap("shop", "cfg", Map.of("app.conf", "v=2"));
        plugin.setUp(spec);
        assertNotEquals(first, dataTarget(spec.dir()));
        assertEquals("v=2", Files.readString(spec.dir().resolve("app.conf")));

        plugin.tearDown(spec.dir());
        assertFalse(Files.exists(spec.dir(), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void downwardApiLabelsFollowThePod() throws Exception {
        DownwardApiPlugin plugin = new DownwardApiPlugin(dirs, NODE);
        Volume volume = new VolumeBuilder().withName("info").withNewDownwardAPI()
                .withItems(field("labels", "metadata.labels", null), field("name", "metadata.name", null))
                .endDownwardAPI().build();
        plugin.setUp(spec(pod("a"), volume, DownwardApiPlugin.NAME));
        VolumeSpec updated = spec(pod("b"), volume, DownwardApiPlugin.NAME);
        assertEquals("release=\"a\"", Files.readString(updated.dir().resolve("labels")));
        plugin.setUp(updated);
        assertEquals("release=\"b\"", Files.readString(updated.dir().resolve("labels")));
        assertEquals("web", Files.readString(updated.dir().resolve("name")));
        plugin.tearDown(updated.dir());
        assertFalse(Files.exists(updated.dir(), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void projectedMixesSourcesOnATmpfs() throws Exception {
        ProjectedPlugin plugin = new ProjectedPlugin(dirs, objects, NODE);
        Volume volume = new VolumeBuilder().withName("all").withNewProjected().withDefaultMode(0440)
                .withSources(
                        new VolumeProjectionBuilder().withConfigMap(new ConfigMapProjection(List.of(), "cfg", null)).build(),
                        new VolumeProjectionBuilder().withSecret(new SecretProjection(
                                List.of(new KeyToPath("pass", 0400, "secret/pass", null)), "db", null)).build(),
                        new VolumeProjectionBuilder().withDownwardAPI(new DownwardAPIProjection(
                                List.of(field("pod", "metadata.name", null)))).build())
                .endProjected().build();
        VolumeSpec spec = spec(pod("a"), volume, ProjectedPlugin.NAME);
        plugin.setUp(spec);
        plugin.setUp(spec);
        assertEquals(1, TestMounts.entriesAt(spec.dir()).size());
        assertEquals("tmpfs", TestMounts.entriesAt(spec.dir()).get(0).fsType());
        assertEquals("v=1", Files.readString(spec.dir().resolve("app.conf")));
        assertEquals("s3cret", Files.readString(spec.dir().resolve("secret/pass")));
        assertEquals("web", Files.readString(spec.dir().resolve("pod")));
        Path ts = spec.dir().resolve(dataTarget(spec.dir()));
        assertEquals("r--r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(ts.resolve("app.conf"))));
        assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ts.resolve("secret/pass"))));

        plugin.tearDown(spec.dir());
        assertEquals(List.of(), TestMounts.entriesAt(spec.dir()));
        assertFalse(Files.exists(spec.dir(), LinkOption.NOFOLLOW_LINKS));
    }
}
