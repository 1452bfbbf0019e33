package dev.skiff.kubelet.it;

import dev.skiff.streamclient.Access;
import io.fabric8.kubernetes.api.model.Pod;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the ITs of the kubelet's streaming endpoints share, whichever runtime serves the streams: the secure port's
 * TLS trust and admin token (for the shared stream client and {@code skiff} alike), the {@code skiff} CLI's
 * endpoint flags, and {@code skiff exec -it} through a real pseudo-terminal.
 */
abstract class StreamingItSupport extends KubeletItSupport {

    /** Lines spliced into each pod's spec (containerd here has no CNI: its pods use the host network). */
    abstract String podSpecExtra();

    Pod runningPod(String name, String script) throws Exception {
        kubelet.writeManifest(name + ".yaml", podYaml(name, podSpecExtra(), container("app", script)));
        return awaitRunning(name);
    }

    /** Trust in the kubelet's self-signed serving certificate. */
    SSLContext tls() throws Exception {
        return Access.trusting(kubelet.rootDir().resolve("pki/kubelet.crt"));
    }

    String adminToken() throws IOException {
        return Files.readString(kubelet.rootDir().resolve("pki/admin.token")).strip();
    }

    /** The secure port over TLS with the admin's bearer token, for the shared stream client. */
    Access adminAccess() throws Exception {
        return Access.plain().withTls(tls()).withBearer(adminToken());
    }

    String secureUrl(String path) {
        return "https://127.0.0.1:" + kubelet.securePort() + path;
    }

    static String launcher() {
        return SkiffKubelet.LAUNCHER.toString();
    }

    List<String> endpointArgs() {
        return List.of("--server", "https://127.0.0.1:" + kubelet.securePort(), "--cert-dir", kubelet.rootDir().resolve("pki").toString());
    }

    /**
     * {@code skiff exec -it} under {@code script}, which gives it a real pseudo-terminal of 33 rows and 77 columns: the
     * remote terminal gets that size (a resize that may land just after the command started, so the shell looks a few
     * times), what is typed (piped into script) reaches the remote shell raw, and the exit code comes back.
     */
    void execWithATerminal(Pod pod) throws Exception {
        String remote = "for i in $(seq 50); do s=$(stty size); [ \"$s\" = \"33 77\" ] && break; sleep 0.2; done; "
                + "echo size=$s; tty; read line; echo got-$line; exit 4";
        String inner = "stty rows 33 cols 77; " + launcher() + " exec -it -n " + ns + " " + pod.getMetadata().getName()
                + " " + String.join(" ", endpointArgs()) + " -- sh -c '" + remote + "'";
        Process p = new ProcessBuilder("script", "-qfec", inner, "/dev/null").redirectErrorStream(true).start();
        p.getOutputStream().write("hello\r".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().flush();
        String out = readAll(p.getInputStream(), p);
        assertEquals(4, p.exitValue(), out);
        assertTrue(out.contains("size=33 77"), out);
        assertTrue(out.contains("/dev/pts/"), out);
        assertTrue(out.contains("got-hello"), out);
        assertTrue(out.contains("command terminated with exit code 4"), out);
    }

    /** Everything the process prints, once it ended (within a minute). */
    static String readAll(InputStream in, Process p) throws Exception {
        byte[] bytes = in.readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish: " + new String(bytes, StandardCharsets.UTF_8));
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Entries of a /proc directory (a process's fds or tasks). */
    static long count(Path dir) {
        try (var s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
