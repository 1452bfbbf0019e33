package dev.skiff.volume.pv;

import java.io.IOException;
import java.nio.file.Path;

/** The binding state file exists but cannot be read as one; Skiff must not guess the bindings, so it stops. */
public class CorruptBindingStateException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;

    public CorruptBindingStateException(Path file, String why, Throwable cause) {
        super("binding state " + file + " is corrupt: " + why
                + " (fix or remove the file; removing it forgets every claim's binding)", cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
