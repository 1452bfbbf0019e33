package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.util.AtomicWriter;
import dev.skiff.volume.util.FileProjection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.util.Map;
import java.util.Optional;

/** Writes an API-data volume's files with the atomic writer and says so in one log line when they changed. */
final class PayloadWriter {
    private static final Logger log = LoggerFactory.getLogger(PayloadWriter.class);

    private PayloadWriter() {
    }

    /**
     * @param source what the files come from, for the log and errors, e.g. {@code configmap ns/x}
     * @return true when anything on disk changed
     */
    static boolean write(VolumeSpec spec, Map<String, FileProjection> payload, String source) throws VolumeException {
        String context = "pod " + spec.podRef() + " (" + spec.podUid() + "): volume \"" + spec.name() + "\"";
        try {
            Optional<Long> fsGroup = VolumeOwnership.fsGroup(spec.pod());
            boolean changed = new AtomicWriter(spec.dir(), context).write(payload,
                    tsDir -> {
                        if (fsGroup.isPresent()) {
                            VolumeOwnership.apply(tsDir, fsGroup.get(), true);
                        }
                    });
            if (fsGroup.isPresent()) {
                // the volume's own directory and its links (..data, the visible names), as upstream's SetVolumeOwnership
                VolumeOwnership.applyShallow(spec.dir(), fsGroup.get(), true);
            }
            if (changed) {
                log.info("{}: {} written ({} {})", context, source, payload.size(), payload.size() == 1 ? "file" : "files");
            }
            return changed;
        } catch (IllegalArgumentException e) {
            throw new VolumeException(source + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new VolumeException("cannot write the files of " + source + ": " + reason(e), e);
        }
    }

    /** The OS's reason as Go prints an errno ("no space left on device"), with the file when Java names one. */
    static String reason(IOException e) {
        String m = e.getMessage();
        if (m == null || m.isEmpty()) {
            return e.getClass().getSimpleName();
        }
        return e instanceof FileSystemException ? m : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }
}
