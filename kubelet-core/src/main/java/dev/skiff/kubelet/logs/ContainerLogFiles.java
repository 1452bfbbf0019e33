package dev.skiff.kubelet.logs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

/**
 * The files of one container log on disk: the current log {@code <log>} and its rotated siblings
 * {@code <log>.<yyyyMMdd-HHmmss>[-<n>][.gz]}, plus leftovers of interrupted rotations
 * ({@code .tmp} files, uncompressed files whose {@code .gz} already exists), as upstream's
 * {@code pkg/kubelet/logs} names them.
 */
public final class ContainerLogFiles {
    /** Upstream's {@code timestampFormat = "20060102-150405"}, in UTC. */
    static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    static final String GZ = ".gz";
    static final String TMP = ".tmp";
    private static final Pattern ROTATED = Pattern.compile("(\\d{8}-\\d{6})(?:-(\\d{1,9}))?");

    /**
     * Oldest first. Upstream sorts names as strings; the collision suffix {@code -<n>} that Skiff adds
     * would sort wrongly that way ({@code -10} before {@code -2}, {@code -1} before {@code .gz}), so
     * names are ordered by (timestamp, suffix number). Names not in the rotated format sort before all
     * others, so they are the first to go, as upstream would eventually remove them too.
     */
    static final Comparator<Path> OLDEST_FIRST = Comparator.comparing(ContainerLogFiles::sortKey);

    private ContainerLogFiles() {}

    /** Every {@code <log>.*} file next to {@code log} (rotated, compressed, temporary), unsorted. */
    static List<Path> siblings(Path log) throws IOException {
        Path dir = log.toAbsolutePath().getParent();
        String prefix = log.getFileName() + ".";
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                if (p.getFileName().toString().startsWith(prefix)) {
                    out.add(p);
                }
            }
        } catch (NoSuchFileException e) {
            // no directory, no siblings
        }
        return out;
    }

    /**
     * Splits siblings into [in use, unused] as upstream's {@code filterUnusedLogs}: temporary files
     * and uncompressed files whose {@code .gz} exists are unused (leftovers of an interrupted compression).
     */
    static List<List<Path>> splitUnused(List<Path> siblings) {
        Set<String> names = new HashSet<>();
        siblings.forEach(p -> names.add(p.getFileName().toString()));
        List<Path> inUse = new ArrayList<>();
        List<Path> unused = new ArrayList<>();
        for (Path p : siblings) {
            String name = p.getFileName().toString();
            boolean isUnused = name.endsWith(TMP) || (!name.endsWith(GZ) && names.contains(name + GZ));
            (isUnused ? unused : inUse).add(p);
        }
        return List.of(inUse, unused);
    }

    /** The rotated files in use for {@code log}, oldest first (what {@code kubectl logs} reads before the current log). */
    public static List<Path> rotated(Path log) throws IOException {
        List<Path> inUse = new ArrayList<>(splitUnused(siblings(log)).get(0));
        inUse.sort(OLDEST_FIRST);
        return inUse;
    }

    /**
     * The name {@code log} is renamed to at {@code now}: {@code <log>.<timestamp>}, or, when files with
     * that timestamp already exist, {@code <log>.<timestamp>-<n>} with {@code n} one above the highest
     * there — two rotations within one second would otherwise overwrite the first, and the new name
     * must sort after every older one even when the first of that second is already removed.
     */
    static Path rotatedName(Path log, Instant now) throws IOException {
        String timestamp = TIMESTAMP.format(now);
        long highest = -1;
        for (Path p : siblings(log)) {
            SortKey k = sortKey(p);
            if (k.rotatedFormat() && k.timestamp().equals(timestamp)) {
                highest = Math.max(highest, k.n());
            }
        }
        String base = log.getFileName() + "." + timestamp;
        return log.resolveSibling(highest < 0 ? base : base + "-" + (highest + 1));
    }

    /**
     * Gzips {@code file} to {@code <file>.gz} as upstream does: writes {@code <file>.tmp}, renames it
     * to {@code <file>.gz}, then removes {@code file}. A crash at any point leaves only files
     * {@link #splitUnused} recognises as leftovers.
     */
    static Path compress(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + TMP);
        Path gz = file.resolveSibling(file.getFileName() + GZ);
        try {
            try (InputStream in = Files.newInputStream(file);
                 OutputStream out = new GZIPOutputStream(Files.newOutputStream(tmp), 64 * 1024)) {
                in.transferTo(out);
            }
            copyPermissions(file, tmp);
            Files.move(tmp, gz, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        Files.delete(file);
        return gz;
    }

    private static void copyPermissions(Path from, Path to) {
        PosixFileAttributeView src = Files.getFileAttributeView(from, PosixFileAttributeView.class);
        PosixFileAttributeView dst = Files.getFileAttributeView(to, PosixFileAttributeView.class);
        if (src == null || dst == null) {
            return;
        }
        try {
            dst.setPermissions(src.readAttributes().permissions());
        } catch (IOException e) {
            // best effort, as the mode is only a nicety for readers of rotated logs
        }
    }

    /**
     * Deletes {@code logPath} and every {@code <logPath>.*} sibling (rotated, compressed, temporary):
     * what the container GC calls when it removes a container (upstream's {@code Clean}). Missing
     * files are fine; every file is tried, and the first failure is thrown with the others suppressed.
     *
     * @return how many files were deleted
     */
    public static int removeLogs(Path logPath) throws IOException {
        List<Path> all = new ArrayList<>(siblings(logPath));
        all.add(logPath);
        IOException failure = null;
        int deleted = 0;
        for (Path p : all) {
            try {
                if (Files.deleteIfExists(p)) {
                    deleted++;
                }
            } catch (IOException e) {
                if (failure == null) {
                    failure = new IOException("cannot remove container log files of " + logPath + ": " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return deleted;
    }

    private record SortKey(boolean rotatedFormat, String timestamp, long n, String name) implements Comparable<SortKey> {
        @Override
        public int compareTo(SortKey o) {
            if (rotatedFormat != o.rotatedFormat) {
                return rotatedFormat ? 1 : -1;
            }
            int c = timestamp.compareTo(o.timestamp);
            if (c == 0) {
                c = Long.compare(n, o.n);
            }
            return c != 0 ? c : name.compareTo(o.name);
        }
    }

    private static SortKey sortKey(Path p) {
        String name = p.getFileName().toString();
        String rest = name;
        if (rest.endsWith(GZ)) {
            rest = rest.substring(0, rest.length() - GZ.length());
        }
        int dot = rest.lastIndexOf('.');
        String suffix = dot < 0 ? rest : rest.substring(dot + 1);
        Matcher m = ROTATED.matcher(suffix);
        if (!m.matches()) {
            return new SortKey(false, "", 0, name);
        }
        return new SortKey(true, m.group(1), m.group(2) == null ? 0 : Long.parseLong(m.group(2)), name);
    }
}
