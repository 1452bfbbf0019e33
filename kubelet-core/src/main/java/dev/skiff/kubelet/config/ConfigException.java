package dev.skiff.kubelet.config;

import java.nio.file.Path;

/**
 * Configuration that cannot be used: a bad config file (names the file and, when known, the 1-based line), bad
 * flags or an invalid merged result. The message is ready to print: {@code <file>:<line>: <reason>},
 * {@code <file>: <reason>} or just {@code <reason>}.
 */
public final class ConfigException extends Exception {
    private final transient Path file;
    private final int line;
    private final String reason;

    public ConfigException(Path file, int line, String reason) {
        super(format(file, line, reason));
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    /** A problem with no file behind it (flags, merged settings). */
    public ConfigException(String reason) {
        this(null, 0, reason);
    }

    /** The config file, or null when the problem is not in one. */
    public Path file() {
        return file;
    }

    /** 1-based line, 0 when unknown. */
    public int line() {
        return line;
    }

    public String reason() {
        return reason;
    }

    private static String format(Path file, int line, String reason) {
        if (file == null) {
            return reason;
        }
        return line > 0 ? file + ":" + line + ": " + reason : file + ": " + reason;
    }
}
