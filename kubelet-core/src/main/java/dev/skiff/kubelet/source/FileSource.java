package dev.skiff.kubelet.source;

import dev.skiff.kubelet.pod.Manifest;
import dev.skiff.kubelet.pod.ManifestException;
import dev.skiff.kubelet.pod.StaticPodLoader;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The static pod directory as a pod source (upstream's pkg/kubelet/config/file.go): a named thread watches the
 * directory with the WatchService (inotify on Linux) and rescans it whole every fileCheckFrequency, in case an
 * event was lost (a symlinked file changed elsewhere, a queue overflow). Each scan yields a full
 * {@link SourceSnapshot}; the listener gets one only when something changed (and always the first one, which
 * tells the sync loop the source is ready).
 *
 * <p>Writers are not atomic, so a file that fails to load right after a change is retried a few times a settle
 * delay apart before it is reported; meanwhile, and after it is reported, the file keeps its last valid pod: a
 * broken or half-written file is never a pod deletion. Only a file that is gone (or a directory that is gone,
 * as upstream) removes its pod. Each error is logged once per content of the file, as one line
 * {@code <file>:<line>: <reason>}, and stays in {@link #errors()} until the file is fixed or removed. Of two
 * files defining the same pod, the first by file name wins and the second is an error naming both.
 */
public final class FileSource implements AutoCloseable {
    public static final String SOURCE = "file";
    private static final Logger LOG = LoggerFactory.getLogger(FileSource.class);
    /** While the directory is missing or unwatched, look for it this often (upstream retries its watch every 1 s). */
    private static final long REWATCH_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * Timing. {@code debounce}: quiet time after the last event before a scan, so an editor's write+rename is one
     * update (capped at 10 debounce periods while events keep coming). {@code settleDelay} and
     * {@code settleAttempts}: a failing file is loaded this many times, this far apart, before it is reported.
     */
    public record Options(Duration fileCheckFrequency, Duration debounce, Duration settleDelay, int settleAttempts) {
        /** 10 ms of quiet joins an editor's burst of events; half-written files are the settle delay's job. */
        public static final Options DEFAULTS = new Options(Duration.ofSeconds(20), Duration.ofMillis(10),
                Duration.ofMillis(500), 3);

        public Options {
            requirePositive(fileCheckFrequency, "fileCheckFrequency");
            requirePositive(debounce, "debounce");
            requirePositive(settleDelay, "settleDelay");
            if (settleAttempts < 1) {
                throw new IllegalArgumentException("settleAttempts must be at least 1");
            }
        }

        public Options withFileCheckFrequency(Duration d) {
            return new Options(d, debounce, settleDelay, settleAttempts);
        }

        private static void requirePositive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
        }
    }

    /** What we know of one manifest file; touched by the source thread only. */
    private static final class FileState {
        String hash;              // of the content last read
        Manifest valid;           // the last content that loaded, or null
        String validHash;
        ManifestException error;  // the current content's error, once reported
        int failures;             // failed loads of the current content
        long retryAt;             // nanoTime of the next load attempt while settling, 0 when none
        String reported;          // content hash + message last logged, so each error is logged once
    }

    private final Path dir;
    private final StaticPodLoader loader;
    private final Options options;
    private final Consumer<SourceSnapshot> listener;
    private final Map<Path, FileState> files = new HashMap<>();
    private final Set<String> skippedLogged = new HashSet<>();
    private final Object lifecycle = new Object();

    private volatile Map<Path, ManifestException> errors = Map.of();
    private volatile SourceSnapshot last;
    private volatile boolean running;
    private Thread thread;
    private WatchService watcher;
    private WatchKey key;
    private boolean missingLogged;
    private List<String> lastFingerprint;

    public FileSource(Path dir, StaticPodLoader loader, Duration fileCheckFrequency,
                      Consumer<SourceSnapshot> listener) {
        this(dir, loader, Options.DEFAULTS.withFileCheckFrequency(fileCheckFrequency), listener);
    }

    public FileSource(Path dir, StaticPodLoader loader, Options options, Consumer<SourceSnapshot> listener) {
        this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
        this.loader = Objects.requireNonNull(loader, "loader");
        this.options = Objects.requireNonNull(options, "options");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Starts the {@code file-source} thread; its first scan runs at once. */
    public void start() throws IOException {
        synchronized (lifecycle) {
            if (thread != null) {
                throw new IllegalStateException("already started");
            }
            watcher = dir.getFileSystem().newWatchService();
            running = true;
            thread = new Thread(this::run, "file-source");
            thread.setDaemon(true);
            thread.start();
            LOG.info("watching static pod directory {} (rescan every {})", dir, options.fileCheckFrequency());
        }
    }

    /** Files that cannot be used now, with why. A file in the middle of being written appears only once settled. */
    public Map<Path, ManifestException> errors() {
        return errors;
    }

    /** The last snapshot delivered, if any. */
    public Optional<SourceSnapshot> lastSnapshot() {
        return Optional.ofNullable(last);
    }

    public Path directory() {
        return dir;
    }

    /** Stops the thread, waiting up to 5 s for it. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    /** Stops the thread, waiting up to {@code timeout}; true when it has stopped. */
    public boolean close(Duration timeout) {
        Thread t;
        synchronized (lifecycle) {
            running = false;
            t = thread;
            if (t == null) {
                return true;
            }
            t.interrupt();
            try {
                watcher.close(); // wakes a blocked poll
            } catch (IOException e) {
                LOG.debug("closing the watch service of {}: {}", dir, e.toString());
            }
        }
        try {
            t.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            LOG.warn("file-source thread did not stop within {}", timeout);
            return false;
        }
        LOG.info("stopped watching {}", dir);
        return true;
    }

    private void run() {
        long debounce = options.debounce().toNanos();
        long nextRescan = System.nanoTime();
        long dirtySince = 0;
        long scanAt = Long.MAX_VALUE; // when a debounced scan is due
        long lastRewatch = System.nanoTime() - REWATCH_NANOS;
        try {
            while (running) {
                long now = System.nanoTime();
                if (key == null && now - lastRewatch >= REWATCH_NANOS) {
                    lastRewatch = now;
                    if (watch()) {
                        scanAt = Math.min(scanAt, now); // whatever happened while unwatched
                    }
                }
                if (now - nextRescan >= 0) {
                    scan();
                    nextRescan = now + options.fileCheckFrequency().toNanos();
                    scanAt = Long.MAX_VALUE;
                } else if (scanAt != Long.MAX_VALUE && now - scanAt >= 0) {
                    scan();
                    scanAt = Long.MAX_VALUE;
                } else if (retryDue(now)) {
                    publish();
                }

                long deadline = Math.min(nextRescan, earliestRetry(nextRescan));
                if (scanAt != Long.MAX_VALUE) {
                    deadline = Math.min(deadline, scanAt);
                }
                if (key == null) {
                    deadline = Math.min(deadline, lastRewatch + REWATCH_NANOS);
                }
                long wait = deadline - System.nanoTime();
                WatchKey k = wait > 0 ? watcher.poll(wait, TimeUnit.NANOSECONDS) : watcher.poll();
                boolean changed = false;
                while (k != null) {
                    changed |= drain(k);
                    k = watcher.poll();
                }
                if (changed) {
                    now = System.nanoTime();
                    if (scanAt == Long.MAX_VALUE) {
                        dirtySince = now;
                    }
                    // trailing debounce, but never starve: scan at most 10 periods after the first event
                    scanAt = Math.min(now + debounce, dirtySince + 10 * debounce);
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // close()
        } catch (RuntimeException e) {
            LOG.error("file-source thread failed; {} is no longer watched", dir, e);
        } finally {
            running = false;
        }
    }

    /** Registers the directory; false when it is missing or cannot be watched (retried later). */
    private boolean watch() {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try {
            key = dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                    StandardWatchEventKinds.ENTRY_MODIFY);
            LOG.debug("watch registered on {}", dir);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            LOG.warn("cannot watch {}: {}; relying on the rescan", dir, e.toString());
            return false;
        }
    }

    /** True when an event may change what the directory holds. */
    private boolean drain(WatchKey k) {
        boolean relevant = false;
        for (WatchEvent<?> event : k.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                relevant = true;
            } else if (event.context() instanceof Path name && ManifestFiles.accepts(name.toString())) {
                relevant = true;
            }
        }
        if (!k.reset()) {
            // the directory was removed or renamed away
            if (k == key) {
                key = null;
            }
            relevant = true;
        }
        return relevant;
    }

    /** Reads the whole directory and publishes the result. */
    private void scan() {
        if (!Files.isDirectory(dir)) {
            if (!missingLogged) {
                LOG.warn("static pod directory {} does not exist; checking again every {}", dir,
                        options.fileCheckFrequency());
                missingLogged = true;
            }
            // as upstream: a missing directory holds no pods
            files.clear();
            publish();
            return;
        }
        if (missingLogged) {
            LOG.info("static pod directory {} exists now", dir);
            missingLogged = false;
        }
        List<Path> present = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (!ManifestFiles.accepts(name)) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    if (skippedLogged.add(name)) {
                        LOG.info("not recursing into {}: static pod manifests are files", p);
                    }
                    continue;
                }
                if (!Files.isRegularFile(p)) {
                    continue; // a dangling symlink, a fifo, or a file removed meanwhile
                }
                present.add(p);
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}; keeping the pods as they are", dir, e.toString());
            return;
        }
        files.keySet().retainAll(present);
        for (Path p : present) {
            load(p, true);
        }
        publish();
    }

    /** Loads the files whose settle delay is over; true when any was due. */
    private boolean retryDue(long now) {
        List<Path> due = new ArrayList<>();
        files.forEach((p, st) -> {
            if (st.retryAt != 0 && now - st.retryAt >= 0) {
                due.add(p);
            }
        });
        for (Path p : due) {
            load(p, false);
        }
        return !due.isEmpty();
    }

    private long earliestRetry(long bound) {
        long earliest = bound;
        for (FileState st : files.values()) {
            if (st.retryAt != 0 && st.retryAt - earliest < 0) {
                earliest = st.retryAt;
            }
        }
        return earliest;
    }

    /**
     * Reads one file and loads it when its content changed or a retry is due. {@code scanning}: a full scan,
     * which leaves a file that is waiting to settle alone until its time.
     */
    private void load(Path file, boolean scanning) {
        byte[] content = null;
        ManifestException unreadable = null;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            files.remove(file);
            return;
        } catch (IOException e) {
            unreadable = new ManifestException(file, 0, "cannot read: " + e.getMessage());
        }
        String hash = content == null ? "unreadable" : sha256(content);
        FileState st = files.computeIfAbsent(file, f -> new FileState());
        if (hash.equals(st.hash)) {
            if (st.retryAt == 0 || (scanning && System.nanoTime() - st.retryAt < 0)) {
                return; // nothing new to learn
            }
        } else {
            // a new content: the old one's error no longer applies, the new one's is known once settled
            st.hash = hash;
            st.failures = 0;
            st.retryAt = 0;
            st.error = null;
        }
        try {
            if (unreadable != null) {
                throw unreadable;
            }
            Manifest m = loader.load(file, content);
            if (m.pod().isEmpty() && m.objects().isEmpty()) {
                // an empty file is what a writer that truncates first leaves for a moment
                throw new ManifestException(file, 0, "no objects in the file");
            }
            if (st.reported != null) {
                LOG.info("manifest {} is valid again", file);
            }
            st.valid = m;
            st.validHash = hash;
            st.failures = 0;
            st.retryAt = 0;
            st.reported = null;
        } catch (ManifestException e) {
            failed(file, st, e);
        } catch (RuntimeException e) {
            failed(file, st, new ManifestException(file, 0, "cannot load: " + e));
        }
    }

    private void failed(Path file, FileState st, ManifestException e) {
        st.failures++;
        if (st.failures < options.settleAttempts()) {
            st.retryAt = System.nanoTime() + options.settleDelay().toNanos();
            LOG.debug("manifest {} does not load yet ({}); retrying in {}", file, e.getMessage(),
                    options.settleDelay());
            return;
        }
        st.retryAt = 0;
        st.error = e;
    }

    /** Builds the snapshot from the file states and hands it over when it differs from the last one. */
    private void publish() {
        List<SourcePod> pods = new ArrayList<>();
        List<HasMetadata> objects = new ArrayList<>();
        Map<Path, ManifestException> errs = new LinkedHashMap<>();
        Map<String, Path> podOwners = new HashMap<>();
        Map<ObjectKey, Path> objectOwners = new HashMap<>();
        List<String> fingerprint = new ArrayList<>();
        for (Map.Entry<Path, FileState> e : new TreeMap<>(files).entrySet()) {
            Path file = e.getKey();
            FileState st = e.getValue();
            ManifestException problem = st.error;
            Manifest m = st.valid;
            if (m != null) {
                if (m.pod().isPresent()) {
                    Pod pod = m.pod().get();
                    String name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
                    Path owner = podOwners.putIfAbsent(name, file);
                    if (owner == null) {
                        pods.add(new SourcePod(file, pod));
                    } else if (problem == null) {
                        problem = new ManifestException(file, 0, "pod " + name + " is already defined in " + owner
                                + "; ignoring this file's pod");
                    }
                }
                for (HasMetadata o : m.objects()) {
                    ObjectKey k = ObjectKey.of(o);
                    Path owner = objectOwners.putIfAbsent(k, file);
                    if (owner == null) {
                        objects.add(o);
                    } else if (problem == null) {
                        problem = new ManifestException(file, 0, k + " is already defined in " + owner
                                + "; ignoring this file's copy");
                    }
                }
            }
            if (problem != null) {
                errs.put(file, problem);
                // a load error belongs to the current content, a duplicate to the content in use
                report(st, problem, problem == st.error ? st.hash : st.validHash);
            } else if (st.retryAt == 0) {
                st.reported = null;
            }
            fingerprint.add(file + "\0" + st.validHash + "\0" + (problem == null ? "" : problem.getMessage()));
        }
        errors = java.util.Collections.unmodifiableMap(errs);
        if (fingerprint.equals(lastFingerprint)) {
            return;
        }
        lastFingerprint = fingerprint;
        SourceSnapshot snapshot = new SourceSnapshot(SOURCE, pods, objects, errs);
        last = snapshot;
        LOG.debug("{}: {} pods, {} other objects, {} files with errors", dir, pods.size(), objects.size(),
                errs.size());
        try {
            listener.accept(snapshot);
        } catch (RuntimeException ex) {
            LOG.error("file source listener failed on a snapshot of {}", dir, ex);
        }
    }

    /** Logs an error once per content of its file. */
    private static void report(FileState st, ManifestException e, String contentHash) {
        String key = contentHash + "\0" + e.getMessage();
        if (!key.equals(st.reported)) {
            st.reported = key;
            LOG.error("static pod manifest not used: {}{}", e.getMessage(),
                    st.valid != null && st.error == e ? " (keeping its last valid version)" : "");
        }
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the JDK", e);
        }
    }
}
