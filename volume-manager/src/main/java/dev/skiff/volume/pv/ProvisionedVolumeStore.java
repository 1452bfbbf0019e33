package dev.skiff.volume.pv;

import dev.skiff.volume.util.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Provisioned PVs as one JSON file each, {@code <dir>/<pvName>.json}, written like the binding state (temp file,
 * fsync, rename, fsync of the dir) so that a crash leaves the old record or the new one.
 */
final class ProvisionedVolumeStore {
    private static final Logger log = LoggerFactory.getLogger(ProvisionedVolumeStore.class);
    private static final String SUFFIX = ".json";

    private final Path dir;

    ProvisionedVolumeStore(Path dir) {
        this.dir = dir;
    }

    Path file(String pvName) {
        return dir.resolve(pvName + SUFFIX);
    }

    /**
     * Every saved record by PV name.
     *
     * @throws IOException naming the file when one cannot be read as a record (Skiff must not forget a volume)
     */
    Map<String, ProvisionedVolume> loadAll() throws IOException {
        Map<String, ProvisionedVolume> all = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                ProvisionedVolume v;
                try {
                    v = ProvisionedVolume.fromJson(Json.parse(Files.readString(f, StandardCharsets.UTF_8)));
                } catch (IllegalArgumentException | IOException e) {
                    throw new IOException("provisioned volume record " + f + " is corrupt: " + e.getMessage()
                            + " (fix or remove it; removing it forgets the volume, not its backing file)", e);
                }
                if (!f.getFileName().toString().equals(v.name() + SUFFIX)) {
                    throw new IOException("provisioned volume record " + f + " is corrupt: it names volume "
                            + v.name());
                }
                all.put(v.name(), v);
            }
        } catch (NoSuchFileException e) {
            return all;
        }
        return all;
    }

    void save(ProvisionedVolume v) throws IOException {
        Files.createDirectories(dir);
        Path file = file(v.name());
        byte[] bytes = Json.write(v.toJson()).getBytes(StandardCharsets.UTF_8);
        DurableFiles.replace(file, bytes, 0600);
        log.debug("saved provisioned volume {} to {}", v.name(), file);
    }

    /** Removes the record; false when there was none. */
    boolean delete(String pvName) throws IOException {
        boolean existed = Files.deleteIfExists(file(pvName));
        if (existed) {
            DurableFiles.syncDirectory(dir);
        }
        return existed;
    }
}
