package dev.skiff.kubelet.metrics;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growing byte buffer that exposition text is written into, as UTF-8: what a large scrape (thousands of samples)
 * is rendered into straight, with no Writer, no per-character call and no object per number but a double's text.
 */
public final class ExpositionBuffer {
    private byte[] bytes;
    private int size;

    public ExpositionBuffer(int initialCapacity) {
        bytes = new byte[Math.max(64, initialCapacity)];
    }

    /** Appends {@code s} as UTF-8. */
    public ExpositionBuffer append(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return append(s.substring(i).getBytes(StandardCharsets.UTF_8)); // rare: encode the rest at once
            }
            bytes[size++] = (byte) c;
        }
        return this;
    }

    /** Appends an ASCII character. */
    public ExpositionBuffer append(char c) {
        if (c >= 0x80) {
            return append(String.valueOf(c));
        }
        ensure(1);
        bytes[size++] = (byte) c;
        return this;
    }

    public ExpositionBuffer append(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, bytes, size, b.length);
        size += b.length;
        return this;
    }

    /** A long in decimal. */
    public ExpositionBuffer append(long v) {
        if (v == Long.MIN_VALUE) {
            return append(Long.toString(v));
        }
        ensure(20);
        if (v < 0) {
            bytes[size++] = '-';
            v = -v;
        }
        int start = size;
        do {
            bytes[size++] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v != 0);
        for (int i = start, j = size - 1; i < j; i++, j--) {
            byte t = bytes[i];
            bytes[i] = bytes[j];
            bytes[j] = t;
        }
        return this;
    }

    /** A sample value as the client library writes it: Java's shortest repr, {@code +Inf}, {@code -Inf}, {@code NaN}. */
    public ExpositionBuffer appendValue(double v) {
        if (v == Double.POSITIVE_INFINITY) {
            return append("+Inf");
        }
        if (v == Double.NEGATIVE_INFINITY) {
            return append("-Inf");
        }
        return append(Double.toString(v));
    }

    public int size() {
        return size;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
