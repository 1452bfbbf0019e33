package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * configMap, secret, downwardAPI and projected volumes, and env from ConfigMaps and Secrets, end to end: static pods
 * with their objects in the manifest dir, checked inside the container (docker exec), on the host (the pod's volume
 * dirs, /proc/self/mountinfo) and in the pod status from {@code /pods}.
 *
 * <p>Modes are written in decimal in the manifests (420 = 0644, 384 = 0600, 288 = 0440, 256 = 0400): YAML 1.1 octal
 * literals depend on the parser, decimal does not.
 */
class ApiDataVolumesIT extends KubeletItSupport {
    /** A timestamped payload dir of the atomic writer (upstream's {@code ..2006_01_02_15_04_05.<random>}). */
    private static final Pattern TS_DIR = Pattern.compile("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.\\d+");
    private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(60);
    private static final int BIG = 64 * 1024;

    // ---- configMap ----

    @Test
    void configMapItemsModesBinaryDataAndOptionalMissing() throws Exception {
        byte[] bin = {0, 1, 2, (byte) 0xff, (byte) 0xfe, '\n', 0x7f};
        kubelet.writeManifest("cm.yaml", configMap("app-config", Map.of(
                "app.properties", "a=1\\nb=2\\n",
                "other", "x"), Map.of("blob", Base64.getEncoder().encodeToString(bin))));
        String spec = """
                  volumes:
                  - name: items
                    configMap:
                      name: app-config
                      defaultMode: 288
                      items:
                      - key: app.properties
                        path: conf/app.properties
                        mode: 384
                      - key: blob
                        path: bin.dat
                  - name: all
                    configMap:
                      name: app-config
                  - name: opt
                    configMap:
                      name: absent
                      optional: true
                """;
        kubelet.writeManifest("pod.yaml", podYaml("cmv", spec, mounts(container("c", "sleep 3600"),
                "items:/items", "all:/all", "opt:/opt-cm")));
        Pod p = awaitRunning("cmv");
        String c = dockerId(p, "c");

        assertEquals("a=1\nb=2\n", cat(c, "/items/conf/app.properties"));
        assertEquals("600", PodDocker.sh(c, "stat -L -c %a /items/conf/app.properties"), "per-item mode");
        assertEquals("440", PodDocker.sh(c, "stat -L -c %a /items/bin.dat"), "defaultMode for an item without mode");
        assertArrayEquals(bin, catBytes(c, "/items/bin.dat"), "binaryData decoded byte for byte");
        assertEquals("bin.dat conf", PodDocker.sh(c, "ls /items | tr '\\n' ' '").trim(), "only the items are projected");

        assertEquals("app.properties blob other", PodDocker.sh(c, "ls /all | tr '\\n' ' '").trim(), "every key without items");
        assertEquals("x", cat(c, "/all/other"));
        assertArrayEquals(bin, catBytes(c, "/all/blob"));
        assertEquals("644", PodDocker.sh(c, "stat -L -c %a /all/other"), "API default mode 0644");

        assertEquals("", PodDocker.sh(c, "ls /opt-cm"), "a missing optional ConfigMap gives an empty volume");
        assertTrue(PodDocker.sh(c, "test -d /opt-cm && echo dir").equals("dir"));

        // on the host: a plain directory under the pod's volumes, the files behind the ..data link
        Path items = volumeDir(p, "configmap", "items");
        assertEquals("a=1\nb=2\n", Files.readString(items.resolve("conf/app.properties")));
        assertTrue(Files.isSymbolicLink(items.resolve("conf")), "top-level name is a symlink into ..data");
        assertEquals(Path.of("..data/conf"), Files.readSymbolicLink(items.resolve("conf")));
        assertFalse(mountPoints().containsKey(items.toString()), "a configMap volume is no mount: " + items);

        // the optional ConfigMap written later fills the running pod's empty volume
        kubelet.writeManifest("absent.yaml", configMap("absent", Map.of("k", "now here"), Map.of()));
        awaitTrue("the optional ConfigMap's file appears in the running container", CHANGE_TIMEOUT,
                () -> "now here".equals(shQuiet(c, "cat /opt-cm/k")), () -> shQuiet(c, "ls -la /opt-cm/ 2>&1"));
        assertEquals(c, dockerId(kubelet.pod("cmv").orElseThrow(), "c"), "the container was replaced");
    }

    @Test
    void missingConfigMapKeepsPodPendingUntilItIsWritten() throws Exception {
        String spec = """
                  volumes:
                  - name: cfg
                    configMap:
                      name: late
                """;
        kubelet.writeManifest("pod.yaml", podYaml("late", spec, mounts(container("c", "sleep 3600"), "cfg:/cfg")));
        Pod pending = kubelet.awaitPod("late", pod -> phase(pod, "Pending")
                        && "FailedMount".equals(pod.getStatus().getReason())
                        && pod.getStatus().getMessage() != null
                        && pod.getStatus().getMessage().contains("configmap \"late\" not found"),
                Duration.ofSeconds(60), "Pending with FailedMount: configmap \"late\" not found");
        assertTrue(pending.getStatus().getMessage().contains("\"cfg\""),
                "the message names the volume: " + pending.getStatus().getMessage());
        assertTrue(PodDocker.containers(uid(pending)).isEmpty(), "no container before the volume is set up: "
                + describe(PodDocker.all(uid(pending))));

        long t0 = System.nanoTime();
        kubelet.writeManifest("late-cm.yaml", configMap("late", Map.of("k", "arrived"), Map.of()));
        Pod p = kubelet.awaitPod("late", KubeletItSupport::allRunning, CHANGE_TIMEOUT,
                "Running once its ConfigMap is written");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(uid(pending), uid(p));
        assertEquals("arrived", cat(dockerId(p, "c"), "/cfg/k"), "started after " + ms + " ms");
        assertTrue(p.getStatus().getReason() == null || !p.getStatus().getReason().equals("FailedMount"),
                "FailedMount reason left on a running pod: " + kubelet.toJson(p.getStatus()));
    }

    @Test
    void itemNamingMissingKeyFailsTheMount() throws Exception {
        kubelet.writeManifest("cm.yaml", configMap("keys", Map.of("present", "1"), Map.of()));
        String spec = """
                  volumes:
                  - name: cfg
                    configMap:
                      name: keys
                      items:
                      - key: absent-key
                        path: f
                """;
        kubelet.writeManifest("pod.yaml", podYaml("nokey", spec, mounts(container("c", "sleep 3600"), "cfg:/cfg")));
        Pod p = kubelet.awaitPod("nokey", pod -> phase(pod, "Pending")
                        && "FailedMount".equals(pod.getStatus().getReason())
                        && pod.getStatus().getMessage() != null
                        && pod.getStatus().getMessage().contains("non-existent config key"),
                Duration.ofSeconds(60), "Pending with FailedMount: non-existent config key");
        assertTrue(p.getStatus().getMessage().contains("absent-key"), p.getStatus().getMessage());
        // still so a while later: no container ever created
        Thread.sleep(2_000);
        assertTrue(PodDocker.containers(uid(p)).isEmpty(), describe(PodDocker.all(uid(p))));
        assertEquals("FailedMount", kubelet.pod("nokey").orElseThrow().getStatus().getReason());
    }

    /**
     * A ConfigMap edit reaches the running container atomically: the container copies the 64 KiB file in a tight
     * loop and records any copy that is not exactly 64 KiB of all '1' or all '2'.
     */
    @Test
    void configMapEditReachesRunningPodAtomically() throws Exception {
        kubelet.writeManifest("cm.yaml", configMap("big", Map.of("key", "1".repeat(BIG)), Map.of()));
        String script = "i=0; while true; do i=$((i+1)); echo $i > /tmp/iter; rm -f /tmp/copy; "
                + "if ! cp /cfg/key /tmp/copy 2>/dev/null; then echo x >> /tmp/cperr; continue; fi; "
                + "n=$(wc -c < /tmp/copy | tr -d ' '); "
                + "if [ \"$n\" != " + BIG + " ]; then echo \"bad length $n at $i\" >> /tmp/bad; "
                + "elif [ -z \"$(tr -d 1 < /tmp/copy)\" ]; then echo 1 > /tmp/seen; "
                + "elif [ -z \"$(tr -d 2 < /tmp/copy)\" ]; then echo 2 > /tmp/seen; "
                + "else echo \"bad mixed content at $i\" >> /tmp/bad; fi; done";
        String spec = """
                  volumes:
                  - name: cfg
                    configMap:
                      name: big
                """;
        kubelet.writeManifest("pod.yaml", podYaml("atomic", spec, mounts(container("c", script), "cfg:/cfg")));
        Pod p = awaitRunning("atomic");
        String c = dockerId(p, "c");
        awaitTrue("the container reads v1", Duration.ofSeconds(60),
                () -> "1".equals(shQuiet(c, "cat /tmp/seen 2>/dev/null")), () -> shQuiet(c, "cat /tmp/seen /tmp/bad"));

        Path dir = volumeDir(p, "configmap", "cfg");
        Path dataLink = dir.resolve("..data");
        assertTrue(Files.isSymbolicLink(dataLink), "..data is a symlink");
        String oldTs = Files.readSymbolicLink(dataLink).toString();
        assertTrue(TS_DIR.matcher(oldTs).matches(), "..data points at a timestamped dir: " + oldTs);
        assertTrue(Files.isDirectory(dir.resolve(oldTs), LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.isSymbolicLink(dir.resolve("key")));
        assertEquals(Path.of("..data/key"), Files.readSymbolicLink(dir.resolve("key")));
        assertEquals(List.of(oldTs), timestampDirs(dir));

        long itersBefore = iterations(c);
        long t0 = System.nanoTime();
        kubelet.writeManifest("cm.yaml", configMap("big", Map.of("key", "2".repeat(BIG)), Map.of()));
        awaitTrue("the container reads v2", CHANGE_TIMEOUT, () -> "2".equals(shQuiet(c, "cat /tmp/seen 2>/dev/null")),
                () -> shQuiet(c, "cat /tmp/seen /tmp/bad 2>&1"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Thread.sleep(2_000); // a few more rounds of the loop on the new content
        long itersAfter = iterations(c);
        assertTrue(itersAfter - itersBefore > 20, "the reader loop barely ran: " + itersBefore + " -> " + itersAfter);

        PodDocker.ExecResult bad = PodDocker.exec(c, Duration.ofSeconds(20), "sh", "-c", "cat /tmp/bad 2>/dev/null");
        assertEquals("", bad.stdout(), "torn reads seen by the container (update took " + ms + " ms)");
        System.out.println("configMap edit seen in the container after " + ms + " ms; reads " + itersBefore + " -> "
                + itersAfter + "; failed opens: " + shQuiet(c, "wc -l < /tmp/cperr 2>/dev/null"));

        String newTs = Files.readSymbolicLink(dataLink).toString();
        assertTrue(TS_DIR.matcher(newTs).matches(), newTs);
        assertNotEquals(oldTs, newTs, "..data swapped to a new timestamped dir");
        assertFalse(Files.exists(dir.resolve(oldTs), LinkOption.NOFOLLOW_LINKS), "old payload dir " + oldTs + " left");
        assertEquals(List.of(newTs), timestampDirs(dir));
        assertEquals(Path.of("..data/key"), Files.readSymbolicLink(dir.resolve("key")));
        assertEquals("2".repeat(BIG), Files.readString(dir.resolve("key")));

        Pod after = kubelet.pod("atomic").orElseThrow();
        assertEquals(c, dockerId(after, "c"), "the container was replaced");
        assertEquals(0, status(after, "c").getRestartCount());
    }

    // ---- secret ----

    @Test
    void secretFilesOnTmpfsWithModesAndReadOnly() throws Exception {
        String token = UUID.randomUUID().toString().replace("-", "");
        String password = "pw-" + token;
        String apiToken = "tk-" + token;
        String secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: " + ns + "\n"
                + "data:\n  password: " + b64(password) + "\n"
                + "stringData:\n  token: " + apiToken + "\n";
        kubelet.writeManifest("secret.yaml", secret);
        String spec = """
                  volumes:
                  - name: sec
                    secret:
                      secretName: creds
                      defaultMode: 256
                      items:
                      - key: password
                        path: password
                      - key: token
                        path: nested/token
                        mode: 288
                """;
        kubelet.writeManifest("pod.yaml", podYaml("sec", spec, mounts(container("c", "sleep 3600"), "sec:/sec")));
        Pod p = awaitRunning("sec");
        String c = dockerId(p, "c");

        assertEquals(password, cat(c, "/sec/password"), "data (base64) decoded");
        assertEquals(apiToken, cat(c, "/sec/nested/token"), "stringData");
        assertEquals("400", PodDocker.sh(c, "stat -L -c %a /sec/password"), "defaultMode 0400");
        assertEquals("440", PodDocker.sh(c, "stat -L -c %a /sec/nested/token"), "item mode 0440");
        assertWriteFails(c, "/sec");

        Path dir = volumeDir(p, "secret", "sec");
        assertEquals("tmpfs", mountPoints().get(dir.toString()), "secret volume is a tmpfs mount: " + dir
                + " in " + mountPoints());
        Object rootDev = Files.getAttribute(kubelet.rootDir(), "unix:dev");
        assertNotEquals(rootDev, Files.getAttribute(dir.resolve("password"), "unix:dev"),
                "the secret file lives on the root dir's filesystem");
        assertEquals(password, Files.readString(dir.resolve("password")));
        // the scan finds the bytes where they are (on the tmpfs, walked on its own), so its empty answer below means something
        assertFalse(filesContaining(dir, List.of(password)).isEmpty(), "scan of " + dir + " missed the secret file");
        List<Path> leaks = filesContaining(kubelet.rootDir(), List.of(password, apiToken));
        assertEquals(List.of(), leaks, "secret bytes on the root dir's disk filesystem");
    }

    // ---- env ----

    @Test
    void envFromConfigMapAndSecret() throws Exception {
        kubelet.writeManifest("objects.yaml", configMap("envcm", Map.of("A", "1", "B", "two"), Map.of())
                + "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: envsec\n  namespace: " + ns + "\n"
                + "data:\n  PASS: " + b64("p@ss w0rd") + "\nstringData:\n  USERNAME: admin\n");
        String c = container("c", "sleep 3600") + """
                    envFrom:
                    - prefix: CM_
                      configMapRef:
                        name: envcm
                    - secretRef:
                        name: envsec
                    - configMapRef:
                        name: no-such-cm
                        optional: true
                    env:
                    - name: FROM_CM
                      valueFrom:
                        configMapKeyRef: {name: envcm, key: B}
                    - name: FROM_SECRET
                      valueFrom:
                        secretKeyRef: {name: envsec, key: PASS}
                    - name: OPT_MISSING_CM
                      valueFrom:
                        configMapKeyRef: {name: no-such-cm, key: x, optional: true}
                    - name: OPT_MISSING_KEY
                      valueFrom:
                        secretKeyRef: {name: envsec, key: nokey, optional: true}
                """;
        kubelet.writeManifest("pod.yaml", podYaml("env", "", c));
        Pod p = awaitRunning("env");
        Map<String, String> env = env(dockerId(p, "c"));
        assertEquals("1", env.get("CM_A"), env.toString());
        assertEquals("two", env.get("CM_B"), env.toString());
        assertEquals("admin", env.get("USERNAME"), env.toString());
        assertEquals("p@ss w0rd", env.get("PASS"), env.toString());
        assertEquals("two", env.get("FROM_CM"), env.toString());
        assertEquals("p@ss w0rd", env.get("FROM_SECRET"), env.toString());
        assertFalse(env.containsKey("A"), "prefix not applied: " + env);
        assertFalse(env.containsKey("OPT_MISSING_CM"), env.toString());
        assertFalse(env.containsKey("OPT_MISSING_KEY"), env.toString());
    }

    @Test
    void envFromMissingKeyIsCreateContainerConfigError() throws Exception {
        kubelet.writeManifest("cm.yaml", configMap("envcm2", Map.of("A", "1"), Map.of()));
        String c = container("c", "sleep 3600") + """
                    env:
                    - name: X
                      valueFrom:
                        configMapKeyRef: {name: envcm2, key: nokey}
                """;
        kubelet.writeManifest("pod.yaml", podYaml("envbad", "", c));
        Pod p = kubelet.awaitPod("envbad", pod -> pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null
                        && pod.getStatus().getContainerStatuses().stream().anyMatch(s -> s.getState() != null
                        && s.getState().getWaiting() != null
                        && "CreateContainerConfigError".equals(s.getState().getWaiting().getReason())),
                Duration.ofSeconds(60), "container waiting with CreateContainerConfigError");
        String msg = status(p, "c").getState().getWaiting().getMessage();
        assertTrue(msg != null && msg.contains("couldn't find key nokey in ConfigMap " + ns + "/envcm2"), msg);
        assertTrue(PodDocker.containers(uid(p)).isEmpty(), describe(PodDocker.all(uid(p))));
    }

    // ---- downwardAPI ----

    @Test
    void downwardApiFilesAndLabelEditInRunningPod() throws Exception {
        String fixedUid = UUID.randomUUID().toString();
        kubelet.writeManifest("pod.yaml", downwardPod(fixedUid, "app: dw\n    tier: web\n"));
        Pod p = awaitRunning("dw");
        assertEquals(fixedUid, uid(p), "the manifest's uid is kept");
        String c = dockerId(p, "c");

        assertEquals(kubelet.podName("dw"), cat(c, "/info/name"));
        assertEquals(ns, cat(c, "/info/namespace"));
        assertEquals(fixedUid, cat(c, "/info/uid"));
        assertEquals("app=\"dw\"\ntier=\"web\"", cat(c, "/info/labels"), "sorted key=\"value\" lines, no newline at end");
        String annotations = cat(c, "/info/annotations");
        assertTrue(List.of(annotations.split("\n")).contains("note=\"hello \\\"world\\\"\""), annotations);
        List<String> lines = List.of(annotations.split("\n"));
        assertEquals(lines.stream().sorted().toList(), lines, "annotations sorted by key");
        assertEquals("dw", cat(c, "/info/app"));
        assertEquals("64", cat(c, "/info/mem_limit"), "limits.memory 64Mi in Mi");
        assertEquals("250", cat(c, "/info/cpu_request"), "requests.cpu 250m in m");
        assertEquals("644", PodDocker.sh(c, "stat -L -c %a /info/labels"));
        assertWriteFails(c, "/info");
        Path dir = volumeDir(p, "downward-api", "info");
        assertEquals("tmpfs", mountPoints().get(dir.toString()), "downwardAPI volume is a tmpfs: " + dir);

        String startedAt = PodDocker.inspect(c).orElseThrow().getState().getStartedAt();
        long t0 = System.nanoTime();
        kubelet.writeManifest("pod.yaml", downwardPod(fixedUid, "app: dw\n    tier: db\n    version: \"2\"\n"));
        String want = "app=\"dw\"\ntier=\"db\"\nversion=\"2\"";
        awaitTrue("the labels file updated in the running container", CHANGE_TIMEOUT,
                () -> want.equals(shQuiet(c, "cat /info/labels")), () -> shQuiet(c, "cat /info/labels"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("labels edit seen in the container after " + ms + " ms");
        assertEquals("dw", cat(c, "/info/app"));

        Pod after = kubelet.awaitPod("dw", pod -> pod.getMetadata().getLabels() != null
                && "db".equals(pod.getMetadata().getLabels().get("tier")), Duration.ofSeconds(10), "with the new labels");
        assertEquals(fixedUid, uid(after));
        assertEquals(c, dockerId(after, "c"), "the container was replaced by a label edit");
        assertEquals(0, status(after, "c").getRestartCount());
        assertEquals(startedAt, PodDocker.inspect(c).orElseThrow().getState().getStartedAt(), "container restarted");
        assertTrue(PodDocker.inspect(c).orElseThrow().getState().getRunning(), "container not running");
    }

    // ---- projected ----

    @Test
    void projectedMixesConfigMapSecretAndDownwardApiOnTmpfs() throws Exception {
        kubelet.writeManifest("objects.yaml", configMap("pcm", Map.of("color", "blue", "size", "L"), Map.of())
                + "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: psec\n  namespace: " + ns + "\n"
                + "stringData:\n  pass: hunter2\n");
        String spec = """
                  volumes:
                  - name: all
                    projected:
                      defaultMode: 288
                      sources:
                      - configMap:
                          name: pcm
                          items:
                          - key: color
                            path: cm/color
                      - secret:
                          name: psec
                          items:
                          - key: pass
                            path: sec/pass
                      - downwardAPI:
                          items:
                          - path: meta/name
                            fieldRef:
                              fieldPath: metadata.name
                """;
        kubelet.writeManifest("pod.yaml", podYaml("proj", spec, mounts(container("c", "sleep 3600"), "all:/all")));
        Pod p = awaitRunning("proj");
        String c = dockerId(p, "c");
        assertEquals("blue", cat(c, "/all/cm/color"));
        assertEquals("hunter2", cat(c, "/all/sec/pass"));
        assertEquals(kubelet.podName("proj"), cat(c, "/all/meta/name"));
        for (String f : List.of("cm/color", "sec/pass", "meta/name")) {
            assertEquals("440", PodDocker.sh(c, "stat -L -c %a /all/" + f), "defaultMode on " + f);
        }
        assertEquals("cm meta sec", PodDocker.sh(c, "ls /all | tr '\\n' ' '").trim(), "only the listed items");
        assertWriteFails(c, "/all");

        Path dir = volumeDir(p, "projected", "all");
        assertEquals("tmpfs", mountPoints().get(dir.toString()), "projected volume is a tmpfs: " + dir + " in "
                + mountPoints());
        assertEquals("hunter2", Files.readString(dir.resolve("sec/pass")));
        assertEquals(List.of(), filesContaining(kubelet.rootDir(), List.of("hunter2")),
                "projected secret bytes on the root dir's disk filesystem");
    }

    // ---- manifests ----

    private String configMap(String name, Map<String, String> data, Map<String, String> binaryData) {
        StringBuilder b = new StringBuilder("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ").append(name)
                .append("\n  namespace: ").append(ns).append('\n');
        if (!data.isEmpty()) {
            b.append("data:\n");
            // values are YAML double-quoted: callers may pass \n escapes
            data.forEach((k, v) -> b.append("  ").append(k).append(": \"").append(v).append("\"\n"));
        }
        if (!binaryData.isEmpty()) {
            b.append("binaryData:\n");
            binaryData.forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
        }
        return b.toString();
    }

    /** A container block with {@code volume:path} mounts appended. */
    private static String mounts(String container, String... mounts) {
        StringBuilder b = new StringBuilder(container).append("    volumeMounts:\n");
        for (String m : mounts) {
            String[] vp = m.split(":", 2);
            b.append("    - name: ").append(vp[0]).append("\n      mountPath: ").append(vp[1]).append('\n');
        }
        return b.toString();
    }

    private String downwardPod(String fixedUid, String labels) {
        return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: dw\n  namespace: " + ns + "\n  uid: " + fixedUid + "\n"
                + "  labels:\n    " + labels
                + "  annotations:\n    note: 'hello \"world\"'\n"
                + "spec:\n  terminationGracePeriodSeconds: 2\n"
                + """
                  volumes:
                  - name: info
                    downwardAPI:
                      items:
                      - path: name
                        fieldRef: {fieldPath: metadata.name}
                      - path: namespace
                        fieldRef: {fieldPath: metadata.namespace}
                      - path: uid
                        fieldRef: {fieldPath: metadata.uid}
                      - path: labels
                        fieldRef: {fieldPath: metadata.labels}
                      - path: annotations
                        fieldRef: {fieldPath: metadata.annotations}
                      - path: app
                        fieldRef: {fieldPath: "metadata.labels['app']"}
                      - path: mem_limit
                        resourceFieldRef: {containerName: c, resource: limits.memory, divisor: 1Mi}
                      - path: cpu_request
                        resourceFieldRef: {containerName: c, resource: requests.cpu, divisor: 1m}
                  containers:
                """
                + mounts(container("c", "sleep 3600") + """
                    resources:
                      limits: {memory: 64Mi, cpu: 500m}
                      requests: {memory: 32Mi, cpu: 250m}
                """, "info:/info");
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    // ---- observing ----

    private Path volumeDir(Pod p, String plugin, String name) {
        return kubelet.rootDir().resolve("pods").resolve(uid(p)).resolve("volumes").resolve("kubernetes.io~" + plugin)
                .resolve(name);
    }

    private static String cat(String containerId, String path) throws InterruptedException {
        return new String(catBytes(containerId, path), StandardCharsets.UTF_8);
    }

    /** The file's exact bytes as the container reads them. */
    private static byte[] catBytes(String containerId, String path) throws InterruptedException {
        PodDocker.ExecResult r = PodDocker.exec(containerId, Duration.ofSeconds(20), "cat", path);
        assertEquals(0, r.exitCode(), "cat " + path + ": " + r.stderr());
        return r.stdoutBytes();
    }

    /** stdout of a command, or the failure as text: for polling, where an exception would end the wait. */
    private static String shQuiet(String containerId, String script) {
        try {
            return PodDocker.exec(containerId, Duration.ofSeconds(20), "sh", "-c", script).stdout().trim();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "<interrupted>";
        } catch (RuntimeException e) {
            return "<" + e + ">";
        }
    }

    /** The reader loop's counter; the loop rewrites the file each pass, so a read may catch it empty: read again. */
    private static long iterations(String containerId) throws InterruptedException {
        String last = "";
        for (int i = 0; i < 20; i++) {
            last = PodDocker.sh(containerId, "cat /tmp/iter").trim();
            if (!last.isEmpty()) {
                return Long.parseLong(last);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the reader loop's counter stayed empty: \"" + last + "\"");
    }

    /** The volume is mounted read-only in the container: creating a file or overwriting one fails. */
    private static void assertWriteFails(String containerId, String dir) throws InterruptedException {
        PodDocker.ExecResult r = PodDocker.exec(containerId, Duration.ofSeconds(20), "sh", "-c",
                "touch " + dir + "/new-file");
        assertNotEquals(0, r.exitCode(), "touch in " + dir + " succeeded");
        assertTrue(r.stderr().contains("Read-only file system"), "touch in " + dir + ": " + r.stderr());
        PodDocker.ExecResult ro = PodDocker.exec(containerId, Duration.ofSeconds(20), "sh", "-c",
                "grep ' " + dir + " ' /proc/mounts");
        assertEquals(0, ro.exitCode(), dir + " not in the container's /proc/mounts");
        assertTrue(ro.stdout().split(" ")[3].startsWith("ro"), "mount options of " + dir + ": " + ro.stdout());
    }

    /** The container's environment as {@code env} prints it (values here have no newlines). */
    private static Map<String, String> env(String containerId) throws InterruptedException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : PodDocker.sh(containerId, "env").split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return out;
    }

    /** Mount point → fstype, from the test JVM's /proc/self/mountinfo (the kubelet's mount namespace). */
    private static Map<String, String> mountPoints() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int sep = Arrays.asList(f).indexOf("-");
            if (sep > 4 && sep + 1 < f.length) {
                out.put(unescape(f[4]), f[sep + 1]);
            }
        }
        return out;
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    private static List<String> timestampDirs(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "..*")) {
            for (Path e : ds) {
                String n = e.getFileName().toString();
                if (TS_DIR.matcher(n).matches()) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    /**
     * Regular files under {@code root} on root's own filesystem (other mounts, e.g. the secret tmpfs, are skipped)
     * whose bytes contain any of {@code needles}.
     */
    private static List<Path> filesContaining(Path root, List<String> needles) throws IOException {
        Object rootDev = Files.getAttribute(root, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        List<byte[]> ns = needles.stream().map(n -> n.getBytes(StandardCharsets.UTF_8)).toList();
        List<Path> hits = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                return rootDev.equals(Files.getAttribute(d, "unix:dev", LinkOption.NOFOLLOW_LINKS))
                        ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                if (!attrs.isRegularFile()) {
                    return FileVisitResult.CONTINUE;
                }
                try {
                    if (!rootDev.equals(Files.getAttribute(f, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                        return FileVisitResult.CONTINUE;
                    }
                    byte[] data = Files.readAllBytes(f);
                    if (ns.stream().anyMatch(n -> indexOf(data, n) >= 0)) {
                        hits.add(f);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) {
                return FileVisitResult.CONTINUE; // e.g. a file removed while walking
            }
        });
        return hits;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
