package dev.skiff.kubelet.source;

import dev.skiff.kubelet.pod.Manifest;
import dev.skiff.kubelet.pod.ManifestException;
import dev.skiff.kubelet.pod.ManifestLimits;
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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The static pod directory as a pod source (upstream's pkg/kubelet/config/file.go): a named thread watches the
 * directory with the WatchService (inotify on Linux) and rescans it whole every fileCheckFrequency, in case an
 * event was lost (a symlinked file changed elsewhere, a queue overflow). Each snapshot is the whole directory
 * ({@link SourceSnapshot}); the listener gets one only when something changed (and always the first one, which
 * tells the sync loop the source is ready: it waits until every file present at the start has been read once).
 *
 * <p>The {@code file-source} thread only lists the directory and hands each changed file to a small pool of
 * {@code manifest-loader} threads, which read it ({@link ManifestFileReader}: never a FIFO or device, never past
 * the size limit) and parse it; so one slow or hostile file never holds up the others, and what the others changed
 * is published as soon as it is parsed (in one snapshot when several are parsed together). One file is loaded by
 * one loader at a time; a change that arrives meanwhile loads it again afterwards, so a file rewritten many times a
 * second settles on its last version.
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
    /** Loader threads: two, so one slow file leaves another loader for the rest. */
    private static final int LOADERS = 2;

    /**
     * Timing. {@code debounce}: quiet time after the last event before the changed files are loaded, so an editor's
     * write+rename is one update (capped at 10 debounce periods while events keep coming). {@code settleDelay} and
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

    /** Turns one file's bytes into what it defines: {@link StaticPodLoader#load} (a test may slow it down). */
    @FunctionalInterface
    interface Loader {
        Manifest load(Path file, byte[] content) throws ManifestException;
    }

    /** What we know of one manifest file; guarded by {@code lock}. */
    private static final class FileState {
        String hash;              // of the content last read (or of the refusal, for a file not read)
        Manifest valid;           // the last content that loaded, or null
        String validHash;
        ManifestException error;  // the current content's error, once reported
        int failures;             // failed loads of the current content
        long retryAt;             // nanoTime of the next load attempt while settling, 0 when none
        String reported;          // content hash + message last logged, so each error is logged once
        boolean loading;          // a loader has it
        boolean again;            // changed while loading: load once more afterwards
    }

    private final Path dir;
    private final Loader loader;
    private final long maxBytes;
    private final ManifestFileReader reader;
    private final Options options;
    private final Consumer<SourceSnapshot> listener;
    private final Object lifecycle = new Object();

    private final Object lock = new Object();
    private final Map<Path, FileState> files = new HashMap<>();
    private final Set<String> skippedLogged = new HashSet<>();
    private Set<Path> initial;    // files of the first scan not loaded once yet; null before it and after
    private boolean scanned;      // the first scan happened
    private int queued;           // loads submitted and not started
    private List<String> lastFingerprint;

    private volatile Map<Path, ManifestException> errors = Map.of();
    private volatile SourceSnapshot last;
    private volatile boolean running;
    private Thread thread;
    private ScheduledThreadPoolExecutor loaders;
    // the file-source thread's own
    private WatchService watcher;
    private WatchKey key;
    private boolean missingLogged;
    private final Set<Path> dirty = new HashSet<>();
    private boolean rescanDue;

    public FileSource(Path dir, StaticPodLoader loader, Duration fileCheckFrequency,
                      Consumer<SourceSnapshot> listener) {
        this(dir, loader, Options.DEFAULTS.withFileCheckFrequency(fileCheckFrequency), listener);
    }

    public FileSource(Path dir, StaticPodLoader loader, Options options, Consumer<SourceSnapshot> listener) {
        this(dir, loader::load, loader.limits().maxBytes(), options, listener);
    }

    FileSource(Path dir, Loader loader, long maxBytes, Options options, Consumer<SourceSnapshot> listener) {
        this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
        this.loader = Objects.requireNonNull(loader, "loader");
        this.maxBytes = maxBytes;
        this.reader = new ManifestFileReader(maxBytes);
        this.options = Objects.requireNonNull(options, "options");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Starts the {@code file-source} thread and the loaders; the first scan runs at once. */
    public void start() throws IOException {
        synchronized (lifecycle) {
            if (thread != null) {
                throw new IllegalStateException("already started");
            }
            watcher = dir.getFileSystem().newWatchService();
            AtomicInteger n = new AtomicInteger();
            loaders = new ScheduledThreadPoolExecutor(LOADERS, r -> {
                Thread t = new Thread(r, "manifest-loader-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            loaders.setRemoveOnCancelPolicy(true);
            loaders.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            running = true;
            thread = new Thread(this::run, "file-source");
            thread.setDaemon(true);
            thread.start();
            LOG.info("watching static pod directory {} (rescan every {}; files over {} are not read)", dir,
                    options.fileCheckFrequency(), ManifestLimits.describeBytes(maxBytes));
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

    /** Stops the thread and the loaders, waiting up to 5 s for them. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    /** Stops the thread and the loaders, waiting up to {@code timeout}; true when they have stopped. */
    public boolean close(Duration timeout) {
        Thread t;
        ScheduledThreadPoolExecutor pool;
        synchronized (lifecycle) {
            running = false;
            t = thread;
            pool = loaders;
            if (t == null) {
                return true;
            }
            t.interrupt();
            pool.shutdownNow();
            try {
                watcher.close(); // wakes a blocked poll
            } catch (IOException e) {
                LOG.debug("closing the watch service of {}: {}", dir, e.toString());
            }
        }
        long deadline = System.nanoTime() + Math.max(1, timeout.toNanos());
        try {
            t.join(Math.max(1, timeout.toMillis()));
            pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive() || !pool.isTerminated()) {
            LOG.warn("file-source thread or manifest loaders did not stop within {}", timeout);
            return false;
        }
        LOG.info("stopped watching {}", dir);
        return true;
    }

    private void run() {
        long debounce = options.debounce().toNanos();
        long nextRescan = System.nanoTime();
        long dirtySince = 0;
        long scanAt = Long.MAX_VALUE; // when the debounced loads are due
        long lastRewatch = System.nanoTime() - REWATCH_NANOS;
        try {
            while (running) {
                long now = System.nanoTime();
                if (key == null && now - lastRewatch >= REWATCH_NANOS) {
                    lastRewatch = now;
                    if (watch()) {
                        rescanDue = true; // whatever happened while unwatched
                        scanAt = Math.min(scanAt, now);
                    }
                }
                if (now - nextRescan >= 0) {
                    scan();
                    nextRescan = now + options.fileCheckFrequency().toNanos();
                    scanAt = Long.MAX_VALUE;
                } else if (scanAt != Long.MAX_VALUE && now - scanAt >= 0) {
                    if (rescanDue) {
                        scan();
                    } else {
                        loadDirty();
                    }
                    scanAt = Long.MAX_VALUE;
                }

                long deadline = nextRescan;
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
                    // trailing debounce, but never starve: load at most 10 periods after the first event
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

    /** Notes the manifest files an event names (a rescan for an overflow); true when any may have changed. */
    private boolean drain(WatchKey k) {
        boolean relevant = false;
        for (WatchEvent<?> event : k.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                rescanDue = true;
                relevant = true;
            } else if (event.context() instanceof Path name && ManifestFiles.accepts(name.toString())) {
                dirty.add(dir.resolve(name));
                relevant = true;
            }
        }
        if (!k.reset()) {
            // the directory was removed or renamed away
            if (k == key) {
                key = null;
            }
            rescanDue = true;
            relevant = true;
        }
        return relevant;
    }

    /** Lists the whole directory: files that went are dropped, every file present is loaded (if it changed). */
    private void scan() {
        dirty.clear();
        rescanDue = false;
        if (!Files.isDirectory(dir)) {
            if (!missingLogged) {
                LOG.warn("static pod directory {} does not exist; checking again every {}", dir,
                        options.fileCheckFrequency());
                missingLogged = true;
            }
            // as upstream: a missing directory holds no pods
            synchronized (lock) {
                files.clear();
                if (initial != null) {
                    initial.clear();
                }
                if (!scanned) {
                    scanned = true;
                    initial = new HashSet<>();
                }
                maybePublish();
            }
            return;
        }
        if (missingLogged) {
            LOG.info("static pod directory {} exists now", dir);
            missingLogged = false;
        }
        List<Path> present = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                if (ManifestFiles.accepts(p.getFileName().toString())) {
                    present.add(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}; keeping the pods as they are", dir, e.toString());
            return;
        }
        synchronized (lock) {
            files.keySet().retainAll(present);
            if (initial != null) {
                initial.retainAll(present);
            }
            if (!scanned) {
                scanned = true;
                initial = new HashSet<>(present);
            }
            present.forEach(this::dispatch);
            maybePublish(); // what went
        }
    }

    /** Loads the files the watch named since the last time. */
    private void loadDirty() {
        synchronized (lock) {
            dirty.forEach(this::dispatch);
        }
        dirty.clear();
    }

    /** Hands {@code file} to a loader, or has it loaded again after the load under way. Holds {@code lock}. */
    private void dispatch(Path file) {
        FileState st = files.computeIfAbsent(file, f -> new FileState());
        if (st.loading) {
            st.again = true;
            return;
        }
        st.loading = true;
        submit(file, st);
    }

    private void submit(Path file, FileState st) {
        queued++;
        try {
            loaders.execute(() -> load(file, st));
        } catch (RejectedExecutionException e) {
            queued--; // closing
        }
    }

    /** A settle retry: loads the file again unless it went or was replaced meanwhile. */
    private void retry(Path file, FileState st) {
        synchronized (lock) {
            if (files.get(file) == st && st.retryAt != 0) {
                dispatch(file);
            }
        }
    }

    /** A loader's work on one file: read it, and when its content is new (or a retry is due) parse it. */
    private void load(Path file, FileState st) {
        String hash;
        ManifestException refused = null;
        byte[] content = null;
        synchronized (lock) {
            queued--;
            if (files.get(file) != st) {
                discarded(file);
                return;
            }
        }
        ManifestFileReader.Result read;
        try {
            read = reader.read(file);
        } catch (RuntimeException | LinkageError e) {
            // never leave the file marked as loading: the first snapshot waits for it
            LOG.warn("reading {} failed", file, e);
            read = new ManifestFileReader.Refused("cannot read: " + e.getClass().getSimpleName(), "failed");
        }
        if (read instanceof ManifestFileReader.Gone) {
            forget(file, st);
            return;
        }
        if (read instanceof ManifestFileReader.Directory) {
            synchronized (lock) {
                if (skippedLogged.add(file.getFileName().toString())) {
                    LOG.info("not recursing into {}: static pod manifests are files", file);
                }
            }
            forget(file, st);
            return;
        }
        if (read instanceof ManifestFileReader.Refused r) {
            hash = "refused:" + r.version();
            refused = new ManifestException(file, 0, r.reason());
        } else {
            content = ((ManifestFileReader.Content) read).bytes();
            hash = sha256(content);
        }
        synchronized (lock) {
            if (files.get(file) != st) {
                discarded(file);
                return;
            }
            boolean retryDue = st.retryAt != 0 && System.nanoTime() - st.retryAt >= 0;
            if (hash.equals(st.hash) && !retryDue) {
                finish(file, st); // nothing new to learn
                return;
            }
            if (!hash.equals(st.hash)) {
                // a new content: the old one's error no longer applies, the new one's is known once settled
                st.hash = hash;
                st.failures = 0;
                st.retryAt = 0;
                st.error = null;
            }
        }
        Manifest loaded = null;
        ManifestException failure = refused;
        if (failure == null) {
            try {
                loaded = loader.load(file, content);
                if (loaded.pod().isEmpty() && loaded.objects().isEmpty()) {
                    // an empty file is what a writer that truncates first leaves for a moment
                    failure = new ManifestException(file, 0, "no objects in the file");
                }
            } catch (ManifestException e) {
                failure = e;
            } catch (RuntimeException e) {
                LOG.debug("loading {} failed", file, e);
                failure = new ManifestException(file, 0, "cannot load: " + e.getClass().getSimpleName());
            }
        }
        synchronized (lock) {
            if (files.get(file) != st) {
                discarded(file);
                return;
            }
            if (failure == null) {
                if (st.reported != null) {
                    LOG.info("manifest {} is valid again", file);
                }
                st.valid = loaded;
                st.validHash = hash;
                st.failures = 0;
                st.retryAt = 0;
                st.reported = null;
            } else {
                failed(file, st, failure);
            }
            finish(file, st);
        }
    }

    /** A load whose file went (or came back as a new one) meanwhile: nothing to keep. Holds {@code lock}. */
    private void discarded(Path file) {
        if (initial != null) {
            initial.remove(file);
        }
        maybePublish();
    }

    /** The file is no longer there (or is a directory): its pod and objects go, unless it changed again. */
    private void forget(Path file, FileState st) {
        synchronized (lock) {
            if (files.get(file) == st && st.again) {
                st.again = false;
                submit(file, st); // written again since it was found missing
                return;
            }
            if (files.get(file) == st) {
                files.remove(file);
            }
            discarded(file);
        }
    }

    /** A load is over: load again if the file changed meanwhile, then publish. Holds {@code lock}. */
    private void finish(Path file, FileState st) {
        if (initial != null) {
            initial.remove(file);
        }
        if (st.again) {
            st.again = false;
            submit(file, st);
        } else {
            st.loading = false;
        }
        maybePublish();
    }

    private void failed(Path file, FileState st, ManifestException e) {
        st.failures++;
        if (st.failures < options.settleAttempts()) {
            st.retryAt = System.nanoTime() + options.settleDelay().toNanos();
            LOG.debug("manifest {} does not load yet ({}); retrying in {}", file, e.getMessage(),
                    options.settleDelay());
            try {
                loaders.schedule(() -> retry(file, st), options.settleDelay().toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                // close()
            }
            return;
        }
        st.retryAt = 0;
        st.error = e;
    }

    /**
     * Publishes unless more is about to come: the first snapshot waits for every file of the first scan, later ones
     * for the loads already queued (so a burst of changes is one snapshot). Holds {@code lock}.
     */
    private void maybePublish() {
        if (!scanned || !running) {
            return;
        }
        if (initial != null) {
            if (!initial.isEmpty()) {
                return;
            }
            initial = null;
        } else if (queued > 0) {
            return;
        }
        publish();
    }

    /** Builds the snapshot from the file states and hands it over when it differs from the last one. Holds {@code lock}. */
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
