package dev.skiff.volume.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code /proc/<pid>/mountinfo}. Fields are separated by single spaces; the optional fields run until a
 * lone {@code -}; the kernel escapes space, tab, newline and backslash in paths as three octal digits.
 */
public final class MountInfoParser {
    private MountInfoParser() {
    }

    /** Reads and parses a mountinfo file (read in one go, so one read sees one table). */
    public static List<MountInfo> read(Path file) throws MountException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new MountException("read " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new MountException("parse " + file + ": " + e.getMessage(), e);
        }
    }

    /** Every non-blank line of {@code content}, in order. */
    public static List<MountInfo> parse(String content) {
        List<MountInfo> out = new ArrayList<>();
        for (String line : content.split("\n")) {
            if (!line.isBlank()) {
                out.add(parseLine(line));
            }
        }
        return out;
    }

    /**
     * One line, e.g.
     * {@code 36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue}.
     */
    public static MountInfo parseLine(String line) {
        String[] f = line.strip().split(" ", -1);
        if (f.length < 7) {
            throw new IllegalArgumentException("too few fields in mountinfo line: " + line);
        }
        int sep = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                sep = i;
                break;
            }
        }
        if (sep < 0) {
            throw new IllegalArgumentException("no \"-\" separator in mountinfo line: " + line);
        }
        String[] dev = f[2].split(":", 2);
        if (dev.length != 2) {
            throw new IllegalArgumentException("bad major:minor \"" + f[2] + "\" in mountinfo line: " + line);
        }
        try {
            List<String> optional = new ArrayList<>();
            for (int i = 6; i < sep; i++) {
                if (!f[i].isEmpty()) {
                    optional.add(f[i]);
                }
            }
            return new MountInfo(
                    Integer.parseInt(f[0]), Integer.parseInt(f[1]),
                    Integer.parseInt(dev[0]), Integer.parseInt(dev[1]),
                    unescape(f[3]), unescape(f[4]), f[5], optional,
                    field(f, sep + 1), field(f, sep + 2), field(f, sep + 3));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in mountinfo line: " + line, e);
        }
    }

    private static String field(String[] f, int i) {
        return i < f.length ? unescape(f[i]) : "";
    }

    /** Decodes the kernel's {@code \NNN} (octal) escapes of space, tab, newline and backslash. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }
}
