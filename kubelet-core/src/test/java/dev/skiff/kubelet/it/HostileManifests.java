package dev.skiff.kubelet.it;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A generator of hostile entries for a manifest directory: broken syntax, encodings, sizes, nesting, YAML tags and
 * aliases, path tricks in identity fields, numeric overflows, invalid names and fields, and entries that are no
 * regular file. Each case says what Skiff must make of it: a refusal at {@code /manifests/errors} whose reason holds
 * a given text, a pod it accepts (as upstream would), or an entry it ignores.
 */
final class HostileManifests {
    /** What Skiff must do with a case. */
    sealed interface Expect permits Refused, Accepted, Ignored {}

    /** Listed at /manifests/errors with a reason containing {@code reason}. */
    record Refused(String reason) implements Expect {}

    /** Its pod {@code <name>-<node>} is listed at /pods (it names another node, so it never runs). */
    record Accepted(String podName) implements Expect {}

    /** Neither a pod nor an error (a directory: upstream does not recurse either). */
    record Ignored() implements Expect {}

    @FunctionalInterface
    interface Maker {
        void make(Path file) throws Exception;
    }

    /** One entry: its file name in the manifest directory, how to make it, what must become of it. */
    record Case(String fileName, Maker maker, Expect expect) {}

    /** The text a secret file holds: must never appear in a log line or at /manifests/errors. */
    static final String SECRET_MARKER = "s3cr3t-7Hq2-DO-NOT-ECHO";

    private final String ns;
    private final String image;
    private final Path secretFile;
    private final List<Case> cases = new ArrayList<>();
    private final List<AutoCloseable> held = new ArrayList<>();

    /** @param secretFile a file outside the manifest directory, holding {@link #SECRET_MARKER} */
    HostileManifests(String ns, String image, Path secretFile) {
        this.ns = ns;
        this.image = image;
        this.secretFile = secretFile;
        build();
    }

    List<Case> cases() {
        return cases;
    }

    /** Writes every case into {@code dir}. */
    void writeAll(Path dir) throws Exception {
        for (Case c : cases) {
            c.maker().make(dir.resolve(c.fileName()));
        }
    }

    /** Closes what the cases hold open (the listening socket). */
    void close() throws Exception {
        for (AutoCloseable c : held) {
            c.close();
        }
    }

    // ---- pieces ----

    /** A valid pod named {@code name} that names another node: parsed and admitted, never run. */
    private String pod(String name) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  nodeName: not-this-node
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: c
                    image: %s
                    command: ["sleep", "3600"]
                """.formatted(name, ns, image);
    }

    private static Maker text(String content) {
        return bytes(content.getBytes(StandardCharsets.UTF_8));
    }

    private static Maker text(String content, Charset cs) {
        return bytes(content.getBytes(cs));
    }

    private static Maker bytes(byte[] content) {
        return file -> Files.write(file, content);
    }

    private void refuse(String name, Maker maker, String reason) {
        cases.add(new Case(String.format("h%02d-%s", cases.size(), name), maker, new Refused(reason)));
    }

    private void accept(String name, java.util.function.Function<String, Maker> maker) {
        String file = String.format("h%02d-%s", cases.size(), name);
        String podName = "ok" + cases.size();
        cases.add(new Case(file, maker.apply(podName), new Accepted(podName)));
    }

    private void build() {
        String p = pod("x");
        // syntax
        refuse("tab.yaml", text(p.replace("  name: x", "\tname: x")), "TAB");
        refuse("unclosed-flow.yaml", text(p + "  volumes: [unclosed\n"), "syntax error");
        refuse("mapping-in-scalar.yaml", text("apiVersion: v1\nkind: Pod: Pod\n"), "syntax error");
        refuse("broken.json", text("{\"apiVersion\": \"v1\", \"kind\": \"Pod\",,}"), "syntax error");
        refuse("trailing-garbage.json", text("{\"apiVersion\": \"v1\", \"kind\": \"Pod\"} garbage"), "syntax error");
        refuse("scalar.yaml", text("just a line of text\n"), "expected an object with apiVersion and kind, got a string");
        refuse("list.yaml", text("- a\n- b\n"), "got a list");
        refuse("empty.yaml", text(""), "no objects in the file");
        refuse("comments.yaml", text("# nothing here\n---\n# nor here\n"), "no objects in the file");
        refuse("no-kind.yaml", text("apiVersion: v1\nmetadata: {name: x}\n"), "missing kind");
        refuse("cronjob.yaml", text("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\n"),
                "unsupported kind \"CronJob\"");
        refuse("deployment-no-spec.yaml", text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"),
                "invalid Deployment");
        refuse("kubeconfig.yaml", text("apiVersion: v1\nkind: Config\nusers: []\n"), "unsupported kind");
        refuse("wrong-version.yaml", text(p.replace("apiVersion: v1", "apiVersion: v2")), "unsupported apiVersion");
        refuse("two-pods.yaml", text(p + "---\n" + pod("y")), "a file holds at most one Pod");
        refuse("directives.yaml", text("%YAML 1.1\n%YAML 1.1\n---\n" + p), "syntax error");
        // encodings
        accept("bom-utf8.yaml", n -> bytes(("\uFEFF" + pod(n)).getBytes(StandardCharsets.UTF_8)));
        accept("bom-utf16le.yaml", n -> text("\uFEFF" + pod(n), StandardCharsets.UTF_16LE));
        accept("bom-utf16be.json", n -> text("\uFEFF{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \""
                + n + "\", \"namespace\": \"" + ns + "\"}, \"spec\": {\"nodeName\": \"not-this-node\", \"containers\":"
                + " [{\"name\": \"c\", \"image\": \"" + image + "\"}]}}", StandardCharsets.UTF_16BE));
        refuse("utf16-no-bom.yaml", text(p, StandardCharsets.UTF_16LE), "binary content");
        refuse("nul.yaml", text(p.replace("name: c", "name: c\0")), "binary content");
        refuse("control.yaml", text(p.replace("name: x", "name: x\u0001")), "control character U+0001");
        refuse("latin1.yaml", text(p.replace("sleep", "sl\u00e9ep"), StandardCharsets.ISO_8859_1), "invalid UTF-8");
        refuse("gzip.yaml", bytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x4b, 0x4c, 0x4a}),
                "not a text manifest");
        // sizes
        refuse("huge-50MiB.yaml", HostileManifests::sparse50MiB, "over the limit of");
        refuse("just-over.yaml", text(p + "x: |\n" + ("  " + "y".repeat(98) + "\n").repeat(16 * 1024)),
                "over the limit of");
        refuse("long-line.yaml", text(p + "x: " + "z".repeat(200_000) + "\n"), "line longer than");
        refuse("huge-annotation.yaml", text(p.replace("  namespace:", "  annotations:\n    big: |\n"
                + ("      " + "a".repeat(94) + "\n").repeat(6 * 1024) + "  namespace:")),
                "metadata.annotations: Too long");
        // nesting, aliases, tags
        refuse("deep.yaml", text(p + "x: " + "[".repeat(1000) + "]".repeat(1000) + "\n"), "nested more than");
        refuse("billion-laughs.yaml", text(billionLaughs(p)), "aliases expand the document");
        refuse("many-aliases.yaml", text(p + "a: &a v\nrefs:\n" + "- *a\n".repeat(150)), "aliases in one document");
        refuse("undefined-alias.yaml", text(p + "x: *nowhere\n"), "names no anchor");
        refuse("recursive-alias.yaml", text(p + "x: &l [*l]\n"), "names no anchor");
        refuse("java-tag.yaml", text(p + "x: !!java/object:java.net.URL [\"http://127.0.0.1/\"]\n"),
                "unsupported YAML tag \"!!java/object\"");
        refuse("binary-tag.yaml", text(p + "x: !!binary aGVsbG8=\n"), "unsupported YAML tag");
        refuse("local-tag.yaml", text(p + "x: !shell rm -rf /\n"), "unsupported YAML tag");
        accept("anchors.yaml", n -> text(pod(n).replace("  - name: c\n", "  - &base\n    name: c\n")
                + "  - <<: *base\n    name: d\n"));
        // numbers
        refuse("grace-1e400.yaml", text(p.replace("terminationGracePeriodSeconds: 1", "terminationGracePeriodSeconds: 1e400")),
                "spec.terminationGracePeriodSeconds: expected an integer");
        refuse("grace-fraction.yaml", text(p.replace("terminationGracePeriodSeconds: 1", "terminationGracePeriodSeconds: 2.5")),
                "spec.terminationGracePeriodSeconds: expected an integer");
        refuse("grace-negative.yaml", text(p.replace("terminationGracePeriodSeconds: 1", "terminationGracePeriodSeconds: -5")),
                "must be greater than or equal to 0");
        refuse("grace-5000-digits.yaml", text(p.replace("terminationGracePeriodSeconds: 1",
                "terminationGracePeriodSeconds: " + "9".repeat(5000))), "spec.terminationGracePeriodSeconds");
        refuse("port-overflow.yaml", text(p + "    ports:\n    - containerPort: 99999999999\n"),
                "spec.containers[0].ports[0].containerPort: out of range");
        refuse("port-range.yaml", text(p + "    ports:\n    - containerPort: 70000\n"),
                "must be between 1 and 65535");
        refuse("port-string.yaml", text(p + "    ports:\n    - containerPort: \"80\"\n"),
                "expected an integer, got a string");
        // identity fields and paths
        refuse("name-dotdot.yaml", text(p.replace("name: x", "name: ../../x")), "metadata.name: Invalid value");
        refuse("name-slash.yaml", text(p.replace("name: x", "name: a/b")), "metadata.name: Invalid value");
        refuse("name-number.yaml", text(p.replace("name: x", "name: 5")), "metadata.name: expected a string");
        refuse("name-too-long.yaml", text(p.replace("name: x", "name: " + "n".repeat(300))), "must be no more than 253");
        refuse("namespace-dotdot.yaml", text(p.replace("namespace: " + ns, "namespace: ../../etc")),
                "metadata.namespace: Invalid value");
        refuse("uid-dotdot.yaml", text(p.replace("  name: x", "  name: x\n  uid: ../../etc")),
                "metadata.uid: Invalid value");
        refuse("uid-slash.yaml", text(p.replace("  name: x", "  name: x\n  uid: a/b/c")), "metadata.uid: Invalid value");
        refuse("container-dotdot.yaml", text(p.replace("- name: c", "- name: ../c")), "spec.containers[0].name");
        refuse("container-upper.yaml", text(p.replace("- name: c", "- name: Web")), "spec.containers[0].name");
        refuse("volume-dotdot.yaml", text(p + "  volumes:\n  - name: ../v\n    emptyDir: {}\n"), "spec.volumes[0].name");
        refuse("subpath-dotdot.yaml", text(p + "    volumeMounts:\n    - {name: v, mountPath: /v, subPath: ../../etc}\n"
                + "  volumes:\n  - {name: v, emptyDir: {}}\n"), "must not contain '..'");
        refuse("env-name.yaml", text(p + "    env:\n    - {name: \"1 bad\", value: x}\n"), "spec.containers[0].env[0].name");
        refuse("restart-policy.yaml", text(p.replace("spec:\n", "spec:\n  restartPolicy: Sometimes\n")),
                "spec.restartPolicy: Unsupported value");
        refuse("configmap-dotdot.yaml", text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ../cm\n  namespace: " + ns
                + "\ndata: {a: b}\n"), "invalid ConfigMap: metadata.name");
        refuse("pvc-uid.yaml", text("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: c\n  namespace: " + ns
                + "\n  uid: ../../x\nspec:\n  accessModes: [ReadWriteOnce]\n"), "invalid PersistentVolumeClaim: metadata.uid");
        // entries that are no regular file
        refuse("fifo.yaml", HostileManifests::fifo, "not a regular file (a FIFO)");
        refuse("socket.yaml", this::socket, "not a regular file (a socket)");
        refuse("dev-zero.yaml", file -> Files.createSymbolicLink(file, Path.of("/dev/zero")),
                "not a regular file (a character device)");
        refuse("secret-link.yaml", file -> Files.createSymbolicLink(file, secretFile), "missing kind");
        refuse("dangling.yaml", file -> Files.createSymbolicLink(file, file.resolveSibling("nowhere")),
                "symlink whose target does not exist");
        refuse("loop.yaml", file -> Files.createSymbolicLink(file, file), "cannot read");
        cases.add(new Case("h" + cases.size() + "-dir.yaml", file -> Files.createDirectory(file), new Ignored()));
    }

    private static String billionLaughs(String pod) {
        StringBuilder b = new StringBuilder(pod).append("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 9; i++) {
            b.append("l").append(i).append(": &l").append(i).append(" [");
            for (int j = 0; j < 10; j++) {
                b.append(j == 0 ? "" : ", ").append("*l").append(i - 1);
            }
            b.append("]\n");
        }
        return b.toString();
    }

    private static void sparse50MiB(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("apiVersion: v1\nkind: Pod\n".getBytes(StandardCharsets.UTF_8)));
            ch.write(ByteBuffer.wrap(new byte[] {'\n'}), (50L << 20) - 1);
        }
    }

    private static void fifo(Path file) throws Exception {
        Process p = new ProcessBuilder("mkfifo", file.toString()).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("mkfifo " + file + " failed");
        }
    }

    private void socket(Path file) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(file));
        held.add(server);
    }
}
