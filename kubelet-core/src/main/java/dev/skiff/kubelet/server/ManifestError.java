package dev.skiff.kubelet.server;

import dev.skiff.kubelet.pod.ManifestException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One manifest file that cannot be used, as {@code GET /manifests/errors} serves it.
 *
 * @param file   the file's path
 * @param line   1-based line of the problem, 0 when unknown
 * @param reason what is wrong
 */
public record ManifestError(String file, int line, String reason) {
    /** From the file source's {@code errors()}, sorted by file name. */
    public static List<ManifestError> from(Map<Path, ManifestException> errors) {
        List<ManifestError> out = new ArrayList<>();
        errors.forEach((path, e) -> out.add(new ManifestError(path.toString(), e.line(), e.reason())));
        out.sort(Comparator.comparing(ManifestError::file));
        return out;
    }
}
