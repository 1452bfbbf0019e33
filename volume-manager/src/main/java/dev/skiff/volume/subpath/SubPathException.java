package dev.skiff.volume.subpath;

import dev.skiff.volume.VolumeException;

/**
 * A volumeMount's subPath cannot be used: it escapes its volume (through {@code ..} or a symlink), or it cannot be
 * created or bound. The message says why without naming host paths.
 */
public class SubPathException extends VolumeException {
    public SubPathException(String message) {
        super(message);
    }

    public SubPathException(String message, Throwable cause) {
        super(message, cause);
    }
}
