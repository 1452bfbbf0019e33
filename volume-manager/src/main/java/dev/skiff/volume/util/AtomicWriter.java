package dev.skiff.volume.util;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Projects a set of files into a directory atomically (upstream pkg/volume/util/atomic_writer.go).
 *
 * <p>The files live in a hidden timestamped directory {@code ..2024_01_31_12_00_00.123}; {@code ..data} is a
 * symlink to it, and each user-visible top-level name is a symlink {@code name -> ..data/name}. An update writes a
 * whole new timestamped directory and renames a fresh {@code ..data_tmp} symlink over {@code ..data}: rename(2) is
 * atomic, so a reader that goes through {@code ..data} sees the old set of files or the new one, never a mix.
 *
 * <p>Names starting with {@code ..} are reserved. Not safe for concurrent writes to one directory: the caller
 * serializes (the reconciler sets up one volume at a time).
 */
public final class AtomicWriter {
    static final String DATA_DIR = "..data";
    static final String NEW_DATA_DIR = "..data_tmp";
    private static final int MAX_PATH_LENGTH = 4096;
    private static final int MAX_NAME_LENGTH = 255;
    /** 0755: group and other must be able to walk to the files, whatever the umask. */
    private static final int DIR_MODE = 0755;
    private static final DateTimeFormatter TS_FORMAT =
            DateTimeFormatter.ofPattern("yyyy_MM_dd_HH_mm_ss").withZone(ZoneOffset.UTC);
    /** What {@link #newTimestampDir} makes (and what upstream's MkdirTemp makes). */
    private static final Pattern TS_DIR = Pattern.compile("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.\\d+");
    private static final Logger log = LoggerFactory.getLogger(AtomicWriter.class);

    private final Path targetDir;
    private final String logContext;
    private final Consumer<String> afterStep;

    public AtomicWriter(Path targetDir, String logContext) {
        this(targetDir, logContext, step -> {
        });
    }

    /** For tests: {@code afterStep} runs after each step of a write, so a test can look at every state on disk. */
    AtomicWriter(Path targetDir, String logContext, Consumer<String> afterStep) {
        this.targetDir = Objects.requireNonNull(targetDir, "targetDir");
        this.logContext = logContext == null ? targetDir.toString() : logContext;
        this.afterStep = afterStep;
    }

    /**
     * Makes the directory hold exactly {@code payload} (relative path → bytes and mode). Returns false, touching
     * nothing, when {@code ..data} already holds the same paths with the same bytes and modes and every visible link
     * is in place; true when anything on disk changed.
     *
     * @throws IllegalArgumentException when a path is invalid (absolute, empty, with {@code ..}, reserved)
     * @throws IOException              when the directory is missing or the disk refuses
     */
    public boolean write(Map<String, FileProjection> payload) throws IOException {
        return write(payload, dir -> { });
    }

    /** Sets ownership or modes on a freshly written timestamped directory before it becomes visible. */
    @FunctionalInterface
    public interface SetPerms {
        void apply(Path timestampDir) throws IOException;
    }

    /**
     * {@link #write(Map)}, with {@code setPerms} run on the new timestamped directory before the swap (upstream's
     * setPerms: e.g. the pod's fsGroup), so readers never see the files with other owners or modes.
     */
    public boolean write(Map<String, FileProjection> payload, SetPerms setPerms) throws IOException {
        Map<String, FileProjection> clean = validate(payload);
        if (!Files.isDirectory(targetDir, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(targetDir.toString(), null, "the volume directory does not exist");
        }
        String oldTs = currentTimestampDir();
        Set<String> toRemove = Set.of();
        boolean shouldWrite = true;
        if (oldTs != null && Files.isDirectory(targetDir.resolve(oldTs), LinkOption.NOFOLLOW_LINKS)) {
            Set<String> oldPaths = walk(targetDir.resolve(oldTs));
            toRemove = pathsToRemove(clean, oldPaths);
            shouldWrite = !toRemove.isEmpty() || differs(clean, targetDir.resolve(oldTs));
        }

        String newTs = oldTs;
        if (shouldWrite) {
            newTs = swapIn(clean, setPerms);
        }
        boolean linksChanged = createUserVisibleLinks(clean);
        afterStep.accept("visible");
        linksChanged |= removeUserVisibleLinks(toRemove);
        afterStep.accept("pruned");
        if (shouldWrite && oldTs != null) {
            FileTrees.deleteOnOneFilesystem(targetDir.resolve(oldTs));
        }
        removeStaleTimestampDirs(newTs);
        afterStep.accept("cleaned");
        if (shouldWrite) {
            log.debug("{}: wrote {} files to {}/{}", logContext, clean.size(), targetDir, newTs);
        }
        return shouldWrite || linksChanged;
    }

    /** Writes a new timestamped dir and makes {@code ..data} point at it; returns its name. */
    private String swapIn(Map<String, FileProjection> clean, SetPerms setPerms) throws IOException {
        Path tsDir = newTimestampDir();
        String tsName = tsDir.getFileName().toString();
        Path tmpLink = targetDir.resolve(NEW_DATA_DIR);
        try {
            writePayload(clean, tsDir);
            setPerms.apply(tsDir);
            afterStep.accept("written");
            // a ..data_tmp left by a write that died between symlink and rename
            if (Files.isSymbolicLink(tmpLink)) {
                Files.delete(tmpLink);
            }
            Files.createSymbolicLink(tmpLink, Path.of(tsName));
            afterStep.accept("linked");
            Files.move(tmpLink, targetDir.resolve(DATA_DIR), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            if (Files.isSymbolicLink(tmpLink)) {
                Files.deleteIfExists(tmpLink);
            }
            FileTrees.deleteOnOneFilesystem(tsDir);
            throw e;
        }
        afterStep.accept("swapped");
        return tsName;
    }

    /**
     * The name {@code ..data} points at, or null when there is no {@code ..data}. Anything but a symlink to a
     * sibling {@code ..}-name is not ours to follow or delete, and is refused.
     */
    private String currentTimestampDir() throws IOException {
        Path data = targetDir.resolve(DATA_DIR);
        if (!Files.exists(data, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        if (!Files.isSymbolicLink(data)) {
            throw new IOException(data + " is not a symlink: refusing to write into a directory the atomic writer does not own");
        }
        String target = Files.readSymbolicLink(data).toString();
        if (target.contains("/") || !target.startsWith("..") || target.equals("..")
                || target.equals(DATA_DIR) || target.equals(NEW_DATA_DIR)) {
            throw new IOException(data + " points at \"" + target + "\", not at a timestamped directory beside it");
        }
        return target;
    }

    /**
     * Checks every path as upstream validatePath does and returns the payload keyed by cleaned paths, sorted.
     */
    static Map<String, FileProjection> validate(Map<String, FileProjection> payload) {
        Map<String, FileProjection> clean = new TreeMap<>();
        for (var e : payload.entrySet()) {
            String p = e.getKey();
            String c = validatePath(p);
            if (clean.put(c, Objects.requireNonNull(e.getValue(), "file projection for " + p)) != null) {
                throw new IllegalArgumentException("invalid path: more than one file projects to " + c + " (" + p + ")");
            }
        }
        for (String c : clean.keySet()) {
            for (String parent = parent(c); parent != null; parent = parent(parent)) {
                if (clean.containsKey(parent)) {
                    throw new IllegalArgumentException("invalid path: " + parent + " is a file and also the directory of " + c);
                }
            }
        }
        return clean;
    }

    /** Upstream validatePath, then filepath.Clean; the cleaned path is checked too ({@code ./..data} is refused). */
    static String validatePath(String p) {
        if (p == null || p.isEmpty()) {
            throw new IllegalArgumentException("invalid path: must not be empty: \"\"");
        }
        if (p.startsWith("/")) {
            throw new IllegalArgumentException("invalid path: must be relative path: " + p);
        }
        if (p.length() > MAX_PATH_LENGTH) {
            throw new IllegalArgumentException("invalid path: must be less than or equal to " + MAX_PATH_LENGTH + " characters");
        }
        if (p.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid path: must not contain a NUL character: " + p.replace('\0', '?'));
        }
        StringBuilder cleaned = new StringBuilder();
        for (String item : p.split("/", -1)) {
            if (item.equals("..")) {
                throw new IllegalArgumentException("invalid path: must not contain '..': " + p);
            }
            if (item.length() > MAX_NAME_LENGTH) {
                throw new IllegalArgumentException("invalid path: filenames must be less than or equal to "
                        + MAX_NAME_LENGTH + " characters");
            }
            if (item.isEmpty() || item.equals(".")) {
                continue;
            }
            if (cleaned.length() == 0 && item.startsWith("..")) {
                throw new IllegalArgumentException("invalid path: must not start with '..': " + p);
            }
            if (cleaned.length() > 0) {
                cleaned.append('/');
            }
            cleaned.append(item);
        }
        if (cleaned.length() == 0) {
            throw new IllegalArgumentException("invalid path: must name a file: " + p);
        }
        return cleaned.toString();
    }

    /** Every path below {@code dir}, relative, with {@code /} separators; symlinks are listed, not followed. */
    private static Set<String> walk(Path dir) throws IOException {
        Set<String> paths = new TreeSet<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                if (!d.equals(dir)) {
                    paths.add(relative(dir, d));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                paths.add(relative(dir, f));
                return FileVisitResult.CONTINUE;
            }
        });
        return paths;
    }

    private static String relative(Path base, Path p) {
        return base.relativize(p).toString();
    }

    /** The old paths that neither are in the payload nor are a directory of one (upstream pathsToRemove). */
    private static Set<String> pathsToRemove(Map<String, FileProjection> payload, Set<String> oldPaths) {
        Set<String> keep = new TreeSet<>();
        for (String p : payload.keySet()) {
            for (String s = p; s != null; s = parent(s)) {
                keep.add(s);
            }
        }
        Set<String> remove = new TreeSet<>(oldPaths);
        remove.removeAll(keep);
        return remove;
    }

    /** True when some payload file is missing from {@code oldDir}, not a regular file, or has other bytes or mode. */
    private static boolean differs(Map<String, FileProjection> payload, Path oldDir) throws IOException {
        for (var e : payload.entrySet()) {
            Path f = oldDir.resolve(e.getKey());
            PosixFileAttributes attrs;
            try {
                attrs = Files.readAttributes(f, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException | NotDirectoryException missing) {
                return true;
            }
            if (!attrs.isRegularFile() || FileModes.mode(attrs.permissions()) != e.getValue().mode()) {
                return true;
            }
            byte[] want = e.getValue().data();
            if (attrs.size() != want.length || !Arrays.equals(Files.readAllBytes(f), want)) {
                return true;
            }
        }
        return false;
    }

    /** {@code ..<UTC time>.<random>}, mode 0755 whatever the umask. */
    private Path newTimestampDir() throws IOException {
        Path dir = Files.createTempDirectory(targetDir, ".." + TS_FORMAT.format(Instant.now()) + ".");
        Files.setPosixFilePermissions(dir, FileModes.permissions(DIR_MODE));
        return dir;
    }

    /**
     * Every file with its exact mode: created with it (so a 0400 secret is never readable by others, even for a
     * moment), then chmod'ed to it (the umask may have narrowed it).
     */
    private static void writePayload(Map<String, FileProjection> payload, Path dir) throws IOException {
        for (var e : payload.entrySet()) {
            Path file = dir.resolve(e.getKey());
            makeDirs(dir, file.getParent());
            var perms = FileModes.permissions(e.getValue().mode());
            try (var out = Files.newByteChannel(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(perms))) {
                ByteBuffer data = ByteBuffer.wrap(e.getValue().data());
                while (data.hasRemaining()) {
                    out.write(data);
                }
            }
            Files.setPosixFilePermissions(file, perms);
        }
    }

    /** mkdir -p from {@code base} down to {@code dir}, each new directory 0755. */
    private static void makeDirs(Path base, Path dir) throws IOException {
        if (dir.equals(base) || Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        makeDirs(base, dir.getParent());
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, FileModes.permissions(DIR_MODE));
    }

    /**
     * {@code name -> ..data/name} for each top-level name of the payload that has no entry yet. An existing entry
     * is left as it is, as upstream does; one that is not a symlink hides the file, which is worth a warning.
     */
    private boolean createUserVisibleLinks(Map<String, FileProjection> payload) throws IOException {
        boolean created = false;
        Set<String> names = new LinkedHashSet<>();
        payload.keySet().forEach(p -> names.add(firstComponent(p)));
        for (String name : names) {
            Path link = targetDir.resolve(name);
            if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, Path.of(DATA_DIR, name));
                created = true;
            } else if (!Files.isSymbolicLink(link)) {
                log.warn("{}: {} exists and is not a symlink into {}: left as it is", logContext, link, DATA_DIR);
            }
        }
        return created;
    }

    /** Removes the top-level symlinks of paths no longer projected; anything that is not a symlink is left alone. */
    private boolean removeUserVisibleLinks(Set<String> paths) throws IOException {
        boolean removed = false;
        for (String p : paths) {
            if (p.contains("/")) {
                continue; // lives inside a top-level link's directory: goes with the old timestamped dir
            }
            Path link = targetDir.resolve(p);
            if (Files.isSymbolicLink(link)) {
                Files.delete(link);
                removed = true;
            } else if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                log.warn("{}: {} is no longer projected but is not a symlink: left as it is", logContext, link);
            }
        }
        return removed;
    }

    /** Timestamped dirs that {@code ..data} does not name: left by a write that died before its swap. */
    private void removeStaleTimestampDirs(String current) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(targetDir, "..*")) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (!name.equals(current) && TS_DIR.matcher(name).matches()
                        && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    log.debug("{}: removing stale {}", logContext, p);
                    FileTrees.deleteOnOneFilesystem(p);
                }
            }
        }
    }

    private static String parent(String p) {
        int i = p.lastIndexOf('/');
        return i < 0 ? null : p.substring(0, i);
    }

    private static String firstComponent(String p) {
        int i = p.indexOf('/');
        return i < 0 ? p : p.substring(0, i);
    }
}
