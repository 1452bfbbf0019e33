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

    /** A single number; "max" and v1's huge "no limit" values are {@link CgroupSample#UNLIMITED}; absent file: 0. */
    static long readLong(Path file) throws IOException {
        String s;
        try {
            s = Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            return 0;
        }
        if (s.equals("max")) {
            return CgroupSample.UNLIMITED;
        }
        long v = parseUnsigned(s).orElse(0L);
        return v >= UNLIMITED_FROM ? CgroupSample.UNLIMITED : v;
    }

    /** "key value" lines (memory.stat, cpu.stat, cpuacct.stat); an absent file is empty. */
    static Map<String, Long> readFlatKeyed(Path file) throws IOException {
        try {
            return parseFlatKeyed(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Map.of();
        }
    }

    static Map<String, Long> parseFlatKeyed(String text) {
        Map<String, Long> values = new HashMap<>();
        String[] kv = new String[2];
        for (int from = 0, to; from < text.length(); from = to + 1) {
            to = lineEnd(text, from);
            if (fields(text, from, to, kv) == 2) {
                OptionalLong v = parseUnsigned(kv[1]);
                if (v.isPresent()) {
                    values.put(kv[0], v.getAsLong());
                }
            }
        }
        return values;
    }

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
