package dev.skiff.kubelet.source;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.skiff.kubelet.pod.ManifestException;
import dev.skiff.kubelet.pod.StaticPodLoader;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** FileSource against real files, the real WatchService and a real PodConfig. */
class FileSourceTest {
    /** Generous: the machine is shared, and a loaded one takes seconds to load Jackson and fabric8 once. */
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Fast settling so tests that wait for an error stay short; the partial-write test uses the defaults. */
    private static final FileSource.Options FAST = new FileSource.Options(Duration.ofSeconds(20),
            Duration.ofMillis(100), Duration.ofMillis(150), 3);

    @TempDir
    Path tmp;

    private final StaticPodLoader loader = new StaticPodLoader("node1");
    private final PodConfig config = new PodConfig();
    private final ObjectStore store = new ObjectStore();
    private final BlockingQueue<SourceSnapshot> snapshots = new LinkedBlockingQueue<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final List<FileSource> sources = new ArrayList<>();

    /** The first parse in a JVM loads the Pod model's classes: done here, not inside a test's wait. */
    @org.junit.jupiter.api.BeforeAll
    static void warmUp() throws Exception {
        new StaticPodLoader("warm-up").load(Path.of("/warm-up.yaml"), pod("w", "busybox").getBytes(StandardCharsets.UTF_8));
    }

    @BeforeEach
    void captureLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger(FileSource.class)).addAppender(log);
    }

    @AfterEach
    void stop() {
        sources.forEach(FileSource::close);
        ((Logger) LoggerFactory.getLogger(FileSource.class)).detachAppender(log);
    }

    private FileSource start(Path dir, FileSource.Options options) throws Exception {
        FileSource source = new FileSource(dir, loader, options, s -> {
            snapshots.add(s);
            store.accept(s);
            config.accept(s);
        });
        sources.add(source);
        source.start();
        PodUpdate ready = next();
        assertEquals(PodUpdate.Op.ADD, ready.op());
        assertTrue(ready.pods().isEmpty(), "the first update says the source is ready");
        return source;
    }

    private PodUpdate next() throws InterruptedException {
        PodUpdate u = config.poll(WAIT);
        assertNotNull(u, "no pod update within " + WAIT);
        return u;
    }

    private Pod expect(PodUpdate.Op op) throws InterruptedException {
        PodUpdate u = next();
        assertEquals(op, u.op(), () -> "got " + u);
        assertEquals(1, u.pods().size(), () -> "got " + u);
        assertEquals(FileSource.SOURCE, u.source());
        return u.pods().get(0);
    }

    private void expectQuiet(Duration d) throws InterruptedException {
        PodUpdate u = config.poll(d);
        assertNull(u, () -> "unexpected update " + u);
    }

    private static String pod(String name, String image) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                spec:
                  containers:
                  - name: c
                    image: %s
                """.formatted(name, image);
    }

    private static void write(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    private long errorLines(String fileName) {
        return log.list.stream().filter(e -> e.getLevel() == Level.ERROR)
                .filter(e -> e.getFormattedMessage().contains(fileName)).count();
    }

    private static String image(Pod p) {
        return p.getSpec().getContainers().get(0).getImage();
    }

    @Test
    void addModifyDelete() throws Exception {
        start(tmp, FAST);
        Path file = tmp.resolve("web.yaml");
        write(file, pod("web", "nginx:1.25"));
        Pod added = expect(PodUpdate.Op.ADD);
        assertEquals("web-node1", added.getMetadata().getName());
        assertEquals("default", added.getMetadata().getNamespace());

        // the content is part of a static pod's uid (upstream): an edit replaces the pod
        write(file, pod("web", "nginx:1.26"));
        Pod removed = expect(PodUpdate.Op.REMOVE);
        assertEquals(added.getMetadata().getUid(), removed.getMetadata().getUid());
        Pod replaced = expect(PodUpdate.Op.ADD);
        assertEquals("nginx:1.26", image(replaced));
        assertNotEquals(added.getMetadata().getUid(), replaced.getMetadata().getUid());

        Files.delete(file);
        assertEquals(replaced.getMetadata().getUid(), expect(PodUpdate.Op.REMOVE).getMetadata().getUid());
        expectQuiet(Duration.ofMillis(300));
        assertTrue(config.pods().isEmpty());
    }

    @Test
    void editOfAPodWithAFixedUidIsAnUpdate() throws Exception {
        start(tmp, FAST);
        Path file = tmp.resolve("web.yaml");
        String withUid = pod("web", "%s").replace("  name: web\n", "  name: web\n  uid: fixed-uid-1\n");
        write(file, withUid.formatted("nginx:1.25"));
        assertEquals("fixed-uid-1", expect(PodUpdate.Op.ADD).getMetadata().getUid());
        write(file, withUid.formatted("nginx:1.26"));
        Pod updated = expect(PodUpdate.Op.UPDATE);
        assertEquals("fixed-uid-1", updated.getMetadata().getUid());
        assertEquals("nginx:1.26", image(updated));
        expectQuiet(Duration.ofMillis(300));
    }

    @Test
    void halfWrittenFileIsOneAddAndNoError() throws Exception {
        start(tmp, FileSource.Options.DEFAULTS);
        byte[] content = pod("web", "nginx:1.25").getBytes(StandardCharsets.UTF_8);
        int cut = pod("web", "nginx:1.25").indexOf("    image");
        Path file = tmp.resolve("web.yaml");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(content, 0, cut));
            ch.force(true);
            Thread.sleep(200);
            ch.write(ByteBuffer.wrap(content, cut, content.length - cut));
        }
        assertEquals("nginx:1.25", image(expect(PodUpdate.Op.ADD)));
        // beyond every settle retry (3 x 500 ms) nothing else happens
        expectQuiet(Duration.ofMillis(1700));
        assertTrue(snapshots.stream().allMatch(s -> s.errors().isEmpty()), "an error was reported");
        assertEquals(0, errorLines("web.yaml"));
    }

    @Test
    void truncateThenWriteIsNotADeletion() throws Exception {
        start(tmp, FileSource.Options.DEFAULTS);
        Path file = tmp.resolve("web.yaml");
        String v1 = pod("web", "nginx:1.25");
        write(file, v1);
        String uid = expect(PodUpdate.Op.ADD).getMetadata().getUid();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.force(true);
            Thread.sleep(200); // the file is empty meanwhile
            ch.write(ByteBuffer.wrap(v1.getBytes(StandardCharsets.UTF_8)));
        }
        expectQuiet(Duration.ofMillis(1700));
        assertEquals(uid, config.pods().get(0).getMetadata().getUid());
        assertEquals(0, errorLines("web.yaml"));
    }

    @Test
    void atomicRenameIsOneAdd() throws Exception {
        start(tmp, FAST);
        Path tmpFile = tmp.resolve("web.yaml.tmp");
        Path file = tmp.resolve("web.yaml");
        write(tmpFile, pod("web", "nginx:1.25"));
        Files.move(tmpFile, file, StandardCopyOption.ATOMIC_MOVE);
        assertEquals("nginx:1.25", image(expect(PodUpdate.Op.ADD)));
        expectQuiet(Duration.ofMillis(400));

        // replacing the file by rename: old pod out, new pod in, nothing in between
        write(tmpFile, pod("web", "nginx:1.26"));
        Files.move(tmpFile, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        expect(PodUpdate.Op.REMOVE);
        assertEquals("nginx:1.26", image(expect(PodUpdate.Op.ADD)));
        expectQuiet(Duration.ofMillis(400));
        assertTrue(snapshots.stream().allMatch(s -> s.errors().isEmpty()));
    }

    @Test
    void editorAndBackupFilesAndSubdirectoriesAreIgnored() throws Exception {
        start(tmp, FAST);
        for (String junk : List.of("web.yaml~", ".web.yaml.swp", "web.yaml.swp", "web.yaml.bak", "web.yaml.orig",
                "web.yaml.dpkg-old", "web.yaml.dpkg-new", "#web.yaml#", ".hidden.yaml", "web.txt", "web.yaml.tmp")) {
            write(tmp.resolve(junk), pod("junk", "busybox"));
        }
        Path sub = Files.createDirectory(tmp.resolve("sub.yaml"));
        write(sub.resolve("inner.yaml"), pod("inner", "busybox"));
        expectQuiet(Duration.ofMillis(500));
        // and a real one beside them is read
        write(tmp.resolve("web.json"), """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                 "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}
                """);
        assertEquals("web-node1", expect(PodUpdate.Op.ADD).getMetadata().getName());
        expectQuiet(Duration.ofMillis(300));
        assertTrue(snapshots.stream().allMatch(s -> s.errors().isEmpty()));
    }

    @Test
    void invalidFileIsReportedOnceWithLineAndGoodFilesAreUnaffected() throws Exception {
        FileSource source = start(tmp, FAST.withFileCheckFrequency(Duration.ofMillis(200)));
        write(tmp.resolve("good.yaml"), pod("good", "nginx:1.25"));
        assertEquals("good-node1", expect(PodUpdate.Op.ADD).getMetadata().getName());
        Path bad = tmp.resolve("bad.yaml");
        write(bad, """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: bad
                spec:
                  containers:
                  - name: c
                    image: busybox
                    ports:
                    - containerPort: "80"
                """);
        ManifestException e = awaitError(source, bad);
        assertEquals(10, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith(bad + ":10: "), e.getMessage());
        // several rescans later: still one log line, and the good pod is untouched
        expectQuiet(Duration.ofMillis(800));
        assertEquals(1, errorLines("bad.yaml"));
        assertEquals(1, config.pods().size());
        assertEquals(List.of("good-node1"), snapshot(source).pods().stream()
                .map(p -> p.pod().getMetadata().getName()).toList());

        // a new content is a new report; a fix clears it
        write(bad, Files.readString(bad).replace("\"80\"", "\"81\""));
        awaitCondition(() -> errorLines("bad.yaml") == 2);
        write(bad, Files.readString(bad).replace("\"81\"", "81"));
        assertEquals("bad-node1", expect(PodUpdate.Op.ADD).getMetadata().getName());
        assertTrue(source.errors().isEmpty());
    }

    @Test
    void podWhoseFileBecomesInvalidKeepsItsLastValidVersion() throws Exception {
        FileSource source = start(tmp, FAST);
        Path file = tmp.resolve("web.yaml");
        write(file, pod("web", "nginx:1.25"));
        String uid = expect(PodUpdate.Op.ADD).getMetadata().getUid();
        write(file, pod("web", "nginx:1.26") + "  volumes: [unclosed\n");
        awaitError(source, file);
        expectQuiet(Duration.ofMillis(300));
        SourceSnapshot s = snapshot(source);
        assertEquals(1, s.pods().size());
        assertEquals(uid, s.pods().get(0).pod().getMetadata().getUid());
        assertEquals("nginx:1.25", image(s.pods().get(0).pod()));
        assertTrue(s.errors().containsKey(file));
        assertEquals(uid, config.pods().get(0).getMetadata().getUid());
    }

    @Test
    void duplicatePodAcrossFilesFirstWinsSecondIsReported() throws Exception {
        FileSource source = start(tmp, FAST);
        Path b = tmp.resolve("b.yaml");
        write(b, pod("web", "nginx:b"));
        assertEquals("nginx:b", image(expect(PodUpdate.Op.ADD)));
        // a.yaml sorts first, so it wins: b's pod is replaced by a's
        Path a = tmp.resolve("a.yaml");
        write(a, pod("web", "nginx:a"));
        expect(PodUpdate.Op.REMOVE);
        assertEquals("nginx:a", image(expect(PodUpdate.Op.ADD)));
        ManifestException e = awaitError(source, b);
        assertTrue(e.reason().contains("default/web-node1") && e.reason().contains(a.toString()), e.getMessage());
        assertFalse(source.errors().containsKey(a));
        expectQuiet(Duration.ofMillis(300));
        assertEquals(1, errorLines("b.yaml"));
        // remove the winner: b's pod comes back and its error is gone
        Files.delete(a);
        expect(PodUpdate.Op.REMOVE);
        assertEquals("nginx:b", image(expect(PodUpdate.Op.ADD)));
        assertTrue(source.errors().isEmpty());
    }

    @Test
    void otherObjectsGoToTheObjectStore() throws Exception {
        start(tmp, FAST);
        write(tmp.resolve("app.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: settings
                data:
                  a: "1"
                ---
                apiVersion: v1
                kind: PersistentVolume
                metadata:
                  name: pv1
                spec:
                  capacity: {storage: 1Gi}
                  accessModes: [ReadWriteOnce]
                  hostPath: {path: /tmp/pv1}
                ---
                """ + pod("app", "busybox"));
        expect(PodUpdate.Op.ADD);
        assertEquals("1", store.configMap("default", "settings").orElseThrow().getData().get("a"));
        assertTrue(store.persistentVolume("pv1").isPresent());
        Files.delete(tmp.resolve("app.yaml"));
        expect(PodUpdate.Op.REMOVE);
        assertTrue(store.configMap("default", "settings").isEmpty());
    }

    @Test
    void missingDirectoryIsLoggedOnceThenPickedUpWhenCreated() throws Exception {
        Path dir = tmp.resolve("manifests");
        start(dir, FAST.withFileCheckFrequency(Duration.ofMillis(200)));
        expectQuiet(Duration.ofMillis(600)); // a few rescans
        assertEquals(1, log.list.stream().filter(e -> e.getFormattedMessage().contains("does not exist")).count());
        Files.createDirectory(dir);
        write(dir.resolve("web.yaml"), pod("web", "nginx:1.25"));
        assertEquals("web-node1", expect(PodUpdate.Op.ADD).getMetadata().getName());
        // new events are seen through the new watch (not only by rescans)
        Files.delete(dir.resolve("web.yaml"));
        expect(PodUpdate.Op.REMOVE);
    }

    @Test
    void rescanCatchesAChangeTheWatchCannotSee() throws Exception {
        // the watch sees the directory's entries, not a symlink's target elsewhere: only the rescan can
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Path dir = Files.createDirectory(tmp.resolve("manifests"));
        Path target = elsewhere.resolve("web.yaml");
        write(target, pod("web", "nginx:1.25"));
        start(dir, FAST.withFileCheckFrequency(Duration.ofMillis(300)));
        Files.createSymbolicLink(dir.resolve("web.yaml"), target);
        expect(PodUpdate.Op.ADD);
        write(target, pod("web", "nginx:1.26"));
        expect(PodUpdate.Op.REMOVE);
        assertEquals("nginx:1.26", image(expect(PodUpdate.Op.ADD)));
    }

    @Test
    void closeStopsTheThread() throws Exception {
        FileSource source = start(tmp, FAST);
        assertTrue(fileSourceThreadAlive());
        assertTrue(source.close(Duration.ofSeconds(2)));
        assertFalse(fileSourceThreadAlive());
        // stopped means stopped: no more updates
        write(tmp.resolve("web.yaml"), pod("web", "nginx:1.25"));
        expectQuiet(Duration.ofMillis(300));
    }

    @Test
    void aSlowFileNeverHoldsUpTheOthers() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        FileSource.Loader slowOnOne = (file, content) -> {
            if (file.getFileName().toString().equals("slow.yaml")) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return loader.load(file, content);
        };
        FileSource source = new FileSource(tmp, slowOnOne, 1 << 20, FAST, s -> {
            snapshots.add(s);
            config.accept(s);
        });
        sources.add(source);
        source.start();
        assertTrue(next().pods().isEmpty());
        write(tmp.resolve("slow.yaml"), pod("slow", "busybox"));
        Thread.sleep(100); // the slow file is being parsed
        for (int i = 0; i < 5; i++) {
            write(tmp.resolve("fast-" + i + ".yaml"), pod("fast-" + i, "busybox"));
        }
        awaitCondition(() -> config.pods().size() == 5);
        assertTrue(config.pods().stream().noneMatch(p -> p.getMetadata().getName().startsWith("slow")));
        release.countDown();
        awaitCondition(() -> config.pods().size() == 6);
    }

    @Test
    void hostileEntriesAreReportedAndNeverBlockTheSource() throws Exception {
        FileSource source = start(tmp, FAST);
        Path fifo = tmp.resolve("fifo.yaml");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0);
        Path big = tmp.resolve("big.yaml");
        try (FileChannel ch = FileChannel.open(big, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {'a'}), 50L << 20); // 50 MiB, sparse
        }
        Path secret = Files.writeString(tmp.resolve("secret.txt"), "token: s3cr3t-VALUE-42\n");
        Files.createSymbolicLink(tmp.resolve("secret.yaml"), secret);
        write(tmp.resolve("web.yaml"), pod("web", "nginx:1.25"));
        assertEquals("web-node1", expect(PodUpdate.Op.ADD).getMetadata().getName());
        assertTrue(awaitError(source, fifo).reason().contains("not a regular file (a FIFO)"));
        assertTrue(awaitError(source, big).reason().contains("52428801 bytes"));
        assertTrue(awaitError(source, tmp.resolve("secret.yaml")).reason().startsWith("missing kind"));
        assertTrue(log.list.stream().noneMatch(e -> e.getFormattedMessage().contains("s3cr3t")));
        assertTrue(source.errors().values().stream().noneMatch(e -> e.getMessage().contains("s3cr3t")));
        // the source still follows changes
        Files.delete(tmp.resolve("web.yaml"));
        expect(PodUpdate.Op.REMOVE);
    }

    @Test
    void aFileRewrittenManyTimesASecondSettlesOnItsLastVersion() throws Exception {
        start(tmp, FAST);
        Path file = tmp.resolve("web.yaml");
        for (int i = 0; i < 200; i++) {
            write(file, pod("web", "nginx:" + i));
        }
        awaitCondition(() -> config.pods().size() == 1 && image(config.pods().get(0)).equals("nginx:199"));
        expectQuietAfterDrain(Duration.ofMillis(500));
        assertEquals("nginx:199", image(config.pods().get(0)));
    }

    /** Takes what is queued, then expects nothing more for {@code d}. */
    private void expectQuietAfterDrain(Duration d) throws InterruptedException {
        while (config.poll(Duration.ofMillis(200)) != null) {
            // earlier versions on their way
        }
        expectQuiet(d);
    }

    private static boolean fileSourceThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> (t.getName().equals("file-source") || t.getName().startsWith("manifest-loader-"))
                        && t.isAlive());
    }

    private static SourceSnapshot snapshot(FileSource source) {
        return source.lastSnapshot().orElseThrow();
    }

    private static ManifestException awaitError(FileSource source, Path file) throws InterruptedException {
        awaitCondition(() -> source.errors().containsKey(file));
        return source.errors().get(file);
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("condition not met within " + WAIT);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }
}
