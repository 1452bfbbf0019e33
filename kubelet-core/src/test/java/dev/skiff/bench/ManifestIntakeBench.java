package dev.skiff.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.cri.testing.TestDocker;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * {@code make bench}, manifest intake: how long a directory of 200 valid manifests takes to be taken in (every pod
 * listed at {@code /pods}), without and then with a 50 MiB file among them, and from Skiff's own start with both in
 * the directory (timed from its file source's start, read from the log: the JVM and the runtime connection come
 * first). The pods name another node, so admission rejects them and no container runs: this times the file
 * source, not Docker. Prints PASS/MISS against the target (the 200 specs read within 2 s, unaffected by the large
 * file) and exits 0 either way; 1 only when it cannot measure.
 */
public final class ManifestIntakeBench implements BenchMain.Bench {
    private static final int PODS = Integer.getInteger("bench.intake.pods", 200);
    private static final Duration TARGET = Duration.ofSeconds(2);
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String busybox;
    private final String namespace = TestDocker.newNamespace("intake");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private ManifestIntakeBench(String busybox) {
        this.busybox = busybox;
    }

    public static void main(String[] args) throws Exception {
        BenchMain.run(s -> new ManifestIntakeBench(s.busybox()));
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public int run(Path skiff) throws Exception {
        System.out.printf(Locale.ROOT, "manifest intake bench: %d manifests (pods for another node, never run), with and"
                + " without a 50 MiB file; namespace %s%n", PODS, namespace);
        Path base = Files.createTempDirectory("skiff-intake-");
        Path manifests = base.resolve("manifests");
        BenchSkiff run = null;
        try {
            run = BenchSkiff.start(skiff, base);
            run.awaitHealthy();
            Duration plain = intake(run, manifests, "a", false);
            BenchSkiff.deleteManifests(manifests);
            awaitListed(run, 0, false);
            Duration withBig = intake(run, manifests, "b", true);
            Duration bigReported = awaitBigFileReported(run);
            System.out.printf(Locale.ROOT, "  %d manifests written into a running Skiff: all listed after %.2f s; with a"
                            + " 50 MiB file among them %.2f s (its refusal listed at /manifests/errors after %.2f s);"
                            + " target <= %.1f s: %s%n", PODS, seconds(plain), seconds(withBig), seconds(bigReported),
                    seconds(TARGET), verdict(withBig));

            run.stop();
            long t0 = System.nanoTime();
            run = BenchSkiff.start(skiff, base);
            run.awaitHealthy();
            Duration healthy = Duration.ofNanos(System.nanoTime() - t0);
            awaitListed(run, PODS, false);
            Duration fromStart = Duration.ofNanos(System.nanoTime() - t0);
            Duration fromSource = Duration.between(sourceStart(run), Instant.now());
            System.out.printf(Locale.ROOT, "  Skiff started on the same directory: all %d listed %.2f s after its file"
                            + " source started, target <= %.1f s: %s (%.2f s from process start, of which the JVM and"
                            + " the runtime connection take the rest; healthy after %.2f s)%n", PODS, seconds(fromSource),
                    seconds(TARGET), verdict(fromSource), seconds(fromStart), seconds(healthy));
            System.out.println("  skiff's log: " + run.log);
            return 0;
        } catch (BenchException e) {
            return BenchMain.cannotMeasure(e, run);
        } finally {
            if (run != null) {
                BenchSkiff.deleteManifests(manifests);
                run.stop();
            }
            BenchSkiff.deleteTree(base);
        }
    }

    /** When the file source started, from its log line ("watching static pod directory"). */
    private static Instant sourceStart(BenchSkiff run) throws Exception {
        for (String line : Files.readAllLines(run.log, StandardCharsets.UTF_8)) {
            if (line.contains("FileSource: watching static pod directory")) {
                return Instant.parse(line.substring(0, line.indexOf(' ')));
            }
        }
        throw new BenchException("no file source start in " + run.log);
    }

    private static String verdict(Duration d) {
        return d.compareTo(TARGET) <= 0 ? "PASS" : "MISS";
    }

    /** Writes the manifests (after the large file, when asked) and times until every pod is listed. */
    private Duration intake(BenchSkiff run, Path dir, String prefix, boolean bigFile) throws Exception {
        long t0 = System.nanoTime();
        if (bigFile) {
            try (FileChannel ch = FileChannel.open(dir.resolve("big.yaml"), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {'\n'}), (50L << 20) - 1);
            }
        }
        for (int i = 0; i < PODS; i++) {
            BenchSkiff.writeManifest(dir, prefix + "-" + i + ".yaml", pod(prefix + "-" + i));
        }
        awaitListed(run, PODS, true);
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    private void awaitListed(BenchSkiff run, int count, boolean atLeast) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        int listed = -1;
        while (System.nanoTime() < deadline) {
            run.checkAlive();
            listed = 0;
            for (JsonNode p : run.pods(http)) {
                if (namespace.equals(p.path("metadata").path("namespace").asText())) {
                    listed++;
                }
            }
            if (atLeast ? listed >= count : listed == count) {
                return;
            }
            Thread.sleep(20);
        }
        throw new BenchException(listed + " pods listed, want " + count + " within " + TIMEOUT.toMinutes() + " min");
    }

    private Duration awaitBigFileReported(BenchSkiff run) throws Exception {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < TIMEOUT.toNanos()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(run.url("/manifests/errors"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            for (JsonNode e : JSON.readTree(r.body())) {
                if (e.path("file").asText().endsWith("/big.yaml")) {
                    return Duration.ofNanos(System.nanoTime() - t0);
                }
            }
            Thread.sleep(20);
        }
        throw new BenchException("the 50 MiB file never appeared at /manifests/errors");
    }



    private String pod(String name) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                  labels: {app: intake}
                spec:
                  nodeName: another-node
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: c
                    image: %s
                    imagePullPolicy: IfNotPresent
                    command: ["sleep", "3600"]
                    env:
                    - {name: A, value: "1"}
                    resources: {limits: {memory: 32Mi}}
                """.formatted(name, namespace, busybox);
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
