package dev.skiff.kubelet.pod;

import java.nio.file.Path;
import java.util.Objects;

/** A file that cannot be used: names the file, the 1-based line when known (0 otherwise), and the reason. */
public final class ManifestException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;
    private final String reason;

    public ManifestException(Path file, int line, String reason) {
        super(format(file, line, reason));
        this.file = Objects.requireNonNull(file, "file");
        this.line = Math.max(0, line);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Path file() {
        return file;
    }

    /** 1-based line of the problem, 0 when unknown. */
    public int line() {
        return line;
    }

    public String reason() {
        return reason;
    }

    private static String format(Path file, int line, String reason) {
        return line > 0 ? file + ":" + line + ": " + reason : file + ": " + reason;
    }
}
