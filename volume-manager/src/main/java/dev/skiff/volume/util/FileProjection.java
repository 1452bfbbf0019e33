package dev.skiff.volume.util;

import java.util.Arrays;

/** One file of a configMap, secret, downwardAPI or projected volume: its bytes and its permission bits (e.g. 0644). */
public record FileProjection(byte[] data, int mode) {
    public FileProjection {
        data = data.clone();
        if (mode < 0 || mode > 0777) {
            throw new IllegalArgumentException("file mode out of range: " + Integer.toOctalString(mode));
        }
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileProjection f && f.mode == mode && Arrays.equals(f.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(data) + mode;
    }

    @Override
    public String toString() {
        return "FileProjection[" + data.length + " bytes, mode " + Integer.toOctalString(mode) + "]";
    }
}
