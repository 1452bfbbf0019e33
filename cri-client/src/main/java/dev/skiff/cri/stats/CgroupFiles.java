package dev.skiff.cri.stats;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** Parsing of the cgroup file formats (single values, flat keyed, blkio and io.stat), v1 and v2. */
final class CgroupFiles {
    /** Values this large are the kernel's "no limit" (v1 writes PAGE_COUNTER_MAX pages in bytes). */
    private static final long UNLIMITED_FROM = 1L << 62;

    private CgroupFiles() {}

    /** v1 {@code blkio.throttle.io_service_bytes}: "8:0 Read 4096" lines, a "Total" line at the end. */
    static List<CgroupSample.BlockIo> parseBlkio(String text) {
        Map<String, long[]> perDevice = new LinkedHashMap<>();
        String[] f = new String[3];
        for (int from = 0, to; from < text.length(); from = to + 1) {
            to = lineEnd(text, from);
            if (fields(text, from, to, f) != 3 || !f[0].contains(":")) {
                continue;
            }
            long v = parseUnsigned(f[2]).orElse(0L);
            long[] rw = perDevice.computeIfAbsent(f[0], d -> new long[2]);
            if (f[1].equals("Read")) {
                rw[0] += v;
            } else if (f[1].equals("Write")) {
                rw[1] += v;
            }
        }
        return toList(perDevice);
    }

    /** v2 {@code io.stat}: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" lines. */
    static List<CgroupSample.BlockIo> parseIoStat(String text) {
        Map<String, long[]> perDevice = new LinkedHashMap<>();
        String[] f = new String[16];
        for (int from = 0, to; from < text.length(); from = to + 1) {
            to = lineEnd(text, from);
            int count = Math.min(fields(text, from, to, f), f.length);
            if (count < 2 || !f[0].contains(":")) {
                continue;
            }
            long[] rw = perDevice.computeIfAbsent(f[0], d -> new long[2]);
            for (int i = 1; i < count; i++) {
                int eq = f[i].indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String key = f[i].substring(0, eq);
                long v = parseUnsigned(f[i].substring(eq + 1)).orElse(0L);
                if (key.equals("rbytes")) {
                    rw[0] += v;
                } else if (key.equals("wbytes")) {
                    rw[1] += v;
                }
            }
        }
        return toList(perDevice);
    }

    /** The end of the line starting at {@code from}: its '\n', or the end of the text. */
    static int lineEnd(String text, int from) {
        int nl = text.indexOf('\n', from);
        return nl < 0 ? text.length() : nl;
    }

    /**
     * Splits {@code text[from, to)} at runs of whitespace, as {@code trim().split("\\s+")} does but without a regex
     * (these files are parsed hundreds of times a second under scrapes). The first {@code out.length} fields go to
     * {@code out}; returns how many fields there are, which may be more.
     */
    static int fields(String text, int from, int to, String[] out) {
        int count = 0;
        int i = from;
        while (true) {
            while (i < to && isSpace(text.charAt(i))) {
                i++;
            }
            if (i >= to) {
                return count;
            }
            int start = i;
            while (i < to && !isSpace(text.charAt(i))) {
                i++;
            }
            if (count < out.length) {
                out[count] = text.substring(start, i);
            }
            count++;
        }
    }

    /** Regex {@code \\s}: space, tab, line feed, vertical tab, form feed, carriage return. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }

    private static List<CgroupSample.BlockIo> toList(Map<String, long[]> perDevice) {
        List<CgroupSample.BlockIo> out = new ArrayList<>();
        perDevice.forEach((device, rw) -> out.add(new CgroupSample.BlockIo(device, rw[0], rw[1])));
        return out;
    }

    /** A single number read into {@code buf}; "max" and v1's huge "no limit" values are {@link CgroupSample#UNLIMITED}; not a number: 0. */
    static long parseLong(java.nio.ByteBuffer buf) {
        int from = buf.position(), to = buf.limit();
        while (from < to && isSpace((char) buf.get(from))) {
            from++;
        }
        while (to > from && isSpace((char) buf.get(to - 1))) {
            to--;
        }
        if (to - from == 3 && buf.get(from) == 'm' && buf.get(from + 1) == 'a' && buf.get(from + 2) == 'x') {
            return CgroupSample.UNLIMITED;
        }
        long v = parseUnsigned(buf, from, to);
        return v < 0 ? 0 : v >= UNLIMITED_FROM ? CgroupSample.UNLIMITED : v;
    }

    /**
     * The values of {@code keys} in a flat keyed file read into {@code buf} ("key value" lines), without a String
     * or a map per line: {@code out[i]} is the value of {@code keys[i]}, 0 when absent or not a number.
     */
    static void parseFlatKeyed(java.nio.ByteBuffer buf, byte[][] keys, long[] out) {
        java.util.Arrays.fill(out, 0L);
        int end = buf.limit();
        for (int i = buf.position(); i < end; ) {
            int lineEnd = i;
            while (lineEnd < end && buf.get(lineEnd) != '\n') {
                lineEnd++;
            }
            int keyEnd = i;
            while (keyEnd < lineEnd && !isSpace((char) buf.get(keyEnd))) {
                keyEnd++;
            }
            for (int k = 0; k < keys.length; k++) {
                if (equals(buf, i, keyEnd, keys[k])) {
                    int v = keyEnd;
                    while (v < lineEnd && isSpace((char) buf.get(v))) {
                        v++;
                    }
                    int vEnd = v;
                    while (vEnd < lineEnd && !isSpace((char) buf.get(vEnd))) {
                        vEnd++;
                    }
                    long value = parseUnsigned(buf, v, vEnd);
                    out[k] = value < 0 ? 0 : value;
                    break;
                }
            }
            i = lineEnd + 1;
        }
    }

    /** The keys of {@link #parseFlatKeyed(java.nio.ByteBuffer, byte[][], long[])}. */
    static byte[][] keys(String... names) {
        byte[][] out = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            out[i] = names[i].getBytes(StandardCharsets.US_ASCII);
        }
        return out;
    }

    private static boolean equals(java.nio.ByteBuffer buf, int from, int to, byte[] key) {
        if (to - from != key.length) {
            return false;
        }
        for (int i = 0; i < key.length; i++) {
            if (buf.get(from + i) != key[i]) {
                return false;
            }
        }
        return true;
    }

    /** Decimal digits in {@code buf[from, to)}; -1 when not a number; saturates at {@link Long#MAX_VALUE}. */
    private static long parseUnsigned(java.nio.ByteBuffer buf, int from, int to) {
        if (from >= to) {
            return -1;
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = buf.get(i) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            if (v > (Long.MAX_VALUE - d) / 10) {
                return Long.MAX_VALUE;
            }
            v = v * 10 + d;
        }
        return v;
    }

    /** The text of {@code buf} (for the rarely large, device-keyed files). */
    static String text(java.nio.ByteBuffer buf) {
        return new String(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining(), StandardCharsets.ISO_8859_1);
    }

    static String readOrEmpty(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        }
    }

    static OptionalLong parseUnsigned(String s) {
        try {
            long v = Long.parseUnsignedLong(s);
            return OptionalLong.of(v < 0 ? Long.MAX_VALUE : v);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
