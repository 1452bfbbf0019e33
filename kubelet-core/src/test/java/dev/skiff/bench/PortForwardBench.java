package dev.skiff.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.cri.testing.TestDocker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code make bench}, port-forward: download throughput of a file from busybox httpd in a pod through
 * {@code skiff port-forward POD LOCAL:8080} (the CLI, the kubelet's secure port, the CRI streaming server, a socket
 * in the pod's network namespace) beside a direct connection to the pod IP, rounds alternating, the same client for
 * both (target: ratio of medians ≥ 0.8). Prints PASS/MISS, exits 0 either way; 1 only when it cannot measure.
 */
public final class PortForwardBench implements BenchMain.Bench {
    private static final int MIB = 1024 * 1024;
    private static final int SIZE_MIB = Integer.getInteger("bench.portforward.mib", 64);
    private static final int ROUNDS = Integer.getInteger("bench.portforward.rounds", 7);
    private static final int WARMUP = 1;
    private static final int POD_PORT = 8080;
    private static final double TARGET_RATIO = 0.8;
    private static final Duration POD_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration IO_TIMEOUT = Duration.ofSeconds(60);

    private final String busybox;
    private final String namespace = TestDocker.newNamespace("portfwd");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private PortForwardBench(String busybox) {
        this.busybox = busybox;
    }

    public static void main(String[] args) throws Exception {
        BenchMain.run(s -> new PortForwardBench(s.busybox()));
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public int run(Path skiff) throws Exception {
        System.out.printf(Locale.ROOT, "port-forward bench: %d MiB from busybox httpd, %d rounds (after %d warm-up), through"
                + " skiff port-forward and straight to the pod IP, alternating; namespace %s%n", SIZE_MIB, ROUNDS, WARMUP, namespace);
        Path base = Files.createTempDirectory("skiff-portfwd-");
        BenchSkiff run = null;
        Process forward = null;
        try {
            run = BenchSkiff.start(skiff, base, "--address", "127.0.0.1");
            run.awaitHealthy();
            BenchSkiff.writeManifest(base.resolve("manifests"), "web.yaml", manifest());
            run.awaitRunning(http, namespace, 1, POD_TIMEOUT);
            String pod = "web-" + run.node;
            InetSocketAddress direct = new InetSocketAddress(podIp(run, pod), POD_PORT);
            awaitServing(direct);

            int localPort = BenchSkiff.freePort();
            List<String> command = new ArrayList<>(List.of(skiff.toString(), "port-forward"));
            command.addAll(run.securePortArgs());
            command.addAll(List.of("-n", namespace, pod, localPort + ":" + POD_PORT));
            Path forwardLog = base.getParent().resolve(base.getFileName() + "-port-forward.log");
            forward = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(forwardLog.toFile()).start();
            InetSocketAddress forwarded = new InetSocketAddress("127.0.0.1", localPort);
            awaitListening(forward, forwardLog, forwarded);

            List<Double> directMibs = new ArrayList<>();
            List<Double> forwardedMibs = new ArrayList<>();
            for (int i = 0; i < WARMUP + ROUNDS; i++) {
                double d = download(direct);
                double f = download(forwarded);
                if (i >= WARMUP) {
                    directMibs.add(d);
                    forwardedMibs.add(f);
                }
            }
            report(directMibs, forwardedMibs);
            System.out.println("  skiff's log: " + run.log + "; port-forward's: " + forwardLog);
            return 0;
        } catch (BenchException e) {
            return BenchMain.cannotMeasure(e, run);
        } finally {
            if (forward != null) {
                forward.destroy();
                if (!forward.waitFor(10, TimeUnit.SECONDS)) {
                    forward.destroyForcibly();
                }
            }
            BenchSkiff.removeAll(run, base, http, namespace, POD_TIMEOUT);
        }
    }

    /** busybox httpd serving a file of SIZE_MIB zeros, on all the pod's addresses. */
    private String manifest() {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                  namespace: %s
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: web
                    image: %s
                    imagePullPolicy: IfNotPresent
                    command: ["sh", "-c", "mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/big bs=1048576 count=%d 2>/dev/null && exec httpd -f -p %d -h /tmp/www"]
                """.formatted(namespace, busybox, SIZE_MIB, POD_PORT);
    }

    private String podIp(BenchSkiff run, String pod) throws Exception {
        for (JsonNode p : run.pods(http)) {
            if (pod.equals(p.path("metadata").path("name").asText()) && namespace.equals(p.path("metadata").path("namespace").asText())) {
                String ip = p.path("status").path("podIP").asText("");
                if (!ip.isEmpty()) {
                    return ip;
                }
            }
        }
        throw new BenchException("no pod IP for " + namespace + "/" + pod + " at /pods");
    }

    /** Waits until httpd serves the whole file (the pod is Running before dd has finished). */
    private static void awaitServing(InetSocketAddress direct) throws InterruptedException {
        long deadline = System.nanoTime() + POD_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                download(direct);
                return;
            } catch (IOException | BenchException e) {
                last = e.getMessage();
            }
            Thread.sleep(200);
        }
        throw new BenchException("httpd at " + direct + " did not serve " + SIZE_MIB + " MiB within "
                + POD_TIMEOUT.toSeconds() + " s: " + last);
    }

    private static void awaitListening(Process forward, Path log, InetSocketAddress local) throws Exception {
        long deadline = System.nanoTime() + POD_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!forward.isAlive()) {
                throw new BenchException("skiff port-forward exited " + forward.exitValue() + ": "
                        + Files.readString(log, StandardCharsets.UTF_8).strip());
            }
            try (Socket s = new Socket()) {
                s.connect(local, 1000);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new BenchException("skiff port-forward not listening on " + local + " within " + POD_TIMEOUT.toSeconds() + " s");
    }

    /** GET of the file over one connection; MiB/s of its body, which must be SIZE_MIB MiB long. */
    private static double download(InetSocketAddress address) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, (int) IO_TIMEOUT.toMillis());
            s.setSoTimeout((int) IO_TIMEOUT.toMillis());
            long t0 = System.nanoTime();
            OutputStream out = s.getOutputStream();
            out.write("GET /big HTTP/1.0\r\nHost: pod\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[256 * 1024];
            long total = 0;
            long headerEnd = -1;
            int matched = 0; // of "\r\n\r\n"
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n && headerEnd < 0; i++) {
                    matched = buf[i] == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (buf[i] == '\r' ? 1 : 0);
                    if (matched == 4) {
                        headerEnd = total + i + 1;
                    }
                }
                total += n;
            }
            long t1 = System.nanoTime();
            long body = headerEnd < 0 ? 0 : total - headerEnd;
            if (body != (long) SIZE_MIB * MIB) {
                throw new BenchException("GET /big from " + address + " gave " + body + " bytes of body, not " + (long) SIZE_MIB * MIB);
            }
            return body / (double) MIB / ((t1 - t0) / 1e9);
        }
    }

    private static void report(List<Double> direct, List<Double> forwarded) {
        double d = median(direct);
        double f = median(forwarded);
        double ratio = f / d;
        System.out.printf(Locale.ROOT, "  straight to the pod IP:       median %7.1f MiB/s  (min %.1f, max %.1f)%n", d,
                min(direct), max(direct));
        System.out.printf(Locale.ROOT, "  through skiff port-forward:   median %7.1f MiB/s  (min %.1f, max %.1f)%n", f,
                min(forwarded), max(forwarded));
        System.out.printf(Locale.ROOT, "  ratio port-forward/direct (medians): %.2f   target >= %.2f: %s%n", ratio, TARGET_RATIO,
                ratio >= TARGET_RATIO ? "PASS" : "MISS");
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }

    private static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }
}
