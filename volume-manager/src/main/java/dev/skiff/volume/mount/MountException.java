package dev.skiff.volume.mount;

import java.io.IOException;

/** A mount(2), umount2(2) or mount-table read failed; the message names the call, the path and errno's text. */
public class MountException extends IOException {
    public MountException(String message) {
        super(message);
    }

    public MountException(String message, Throwable cause) {
        super(message, cause);
    }
}
