package dev.skiff.volume.plugin;

import dev.skiff.volume.util.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The loop devices the claim plugin attached, one file per PV (named after it, holding the backing file's path) under
 * {@code plugins/kubernetes.io/local-volume/loops}. Written before the attach, so that a crash between the two still
 * leaves the device findable for the release; only a recorded device is ever detached (a {@code local} PV's own
 * block device never is).
 */
final class LoopRecords {
    private static final Logger log = LoggerFactory.getLogger(LoopRecords.class);
    private static final int FILE_MODE = 0600;

    private final Path dir;

    LoopRecords(Path dir) {
        this.dir = dir;
    }

    /** Records that {@code pvName}'s loop device is (about to be) attached to {@code backingFile}. */
    void record(String pvName, Path backingFile) throws IOException {
        VolumeDirs.mkdirs(dir, PersistentClaimPlugin.DIR_MODE);
        Path record = dir.resolve(pvName);
        String content = backingFile.toRealPath() + "\n";
        if (Files.exists(record) && Files.readString(record, StandardCharsets.UTF_8).equals(content)) {
            return;
        }
        DurableFiles.replace(record, content.getBytes(StandardCharsets.UTF_8), FILE_MODE);
    }

    /** The PVs with a recorded loop device. */
    List<String> pvNames() {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> !p.getFileName().toString().startsWith("."))) {
            s.forEach(p -> out.add(p.getFileName().toString()));
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.getMessage());
        }
        return out;
    }

    /** The backing file recorded for {@code pvName}. */
    Path backingFile(String pvName) throws IOException {
        return Path.of(Files.readString(dir.resolve(pvName), StandardCharsets.UTF_8).strip());
    }

    /** The device is detached: the record goes. */
    void forget(String pvName) throws IOException {
        try {
            Files.delete(dir.resolve(pvName));
        } catch (NoSuchFileException e) {
            // gone already
        }
    }
}
