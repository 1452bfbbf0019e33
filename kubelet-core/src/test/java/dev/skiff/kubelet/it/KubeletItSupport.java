package dev.skiff.kubelet.it;

import com.github.dockerjava.api.model.Container;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Shared set-up of the kubelet ITs: the busybox image, one namespace per test, one {@link SkiffKubelet} per test
 * (started), and cleanup whether the test passed or not: the kubelet killed first (so it recreates nothing),
 * then every Docker container of the namespace removed.
 */
abstract class KubeletItSupport {
    static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(90);
    static String image;

    String ns;
    SkiffKubelet kubelet;

    @BeforeAll
    static void busybox() {
        image = TestImages.busybox(TestDocker.client());
    }

    /** Extra kubelet flags for this class. */
    String[] kubeletArgs() {
        return new String[0];
    }

    @BeforeEach
    void startKubelet() throws Exception {
        ns = TestDocker.newNamespace("it");
        kubelet = new SkiffKubelet(kubeletArgs());
        kubelet.start();
    }

    @AfterEach
    void cleanUp() throws Exception {
        // the kubelet first (else it restarts what goes), then the containers (they hold the volumes' mounts open),
        // then the kubelet's directories with their mounts and loop devices
        try {
            if (kubelet != null) {
                kubelet.killProcess();
            }
        } finally {
            try {
                if (ns != null) {
                    TestDocker.removeNamespace(ns);
                }
            } finally {
                if (kubelet != null) {
                    kubelet.close();
                }
            }
        }
    }

    // ---- manifests ----

    /**
     * A pod manifest in this test's namespace with short grace (busybox sleep as pid 1 ignores SIGTERM) and
     * {@code imagePullPolicy: IfNotPresent}. {@code specExtra} is spliced into spec (2-space indented lines),
     * {@code containers} are {@link #container} blocks.
     */
    String podYaml(String name, String specExtra, String... containers) {
        StringBuilder b = new StringBuilder();
        b.append("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ").append(name)
                .append("\n  namespace: ").append(ns).append("\n  labels:\n    app: ").append(name)
                .append("\nspec:\n  terminationGracePeriodSeconds: 2\n");
        b.append(specExtra);
        b.append("  containers:\n");
        for (String c : containers) {
            b.append(c);
        }
        return b.toString();
    }

    /** One container running {@code sh -c script}. */
    String container(String name, String script) {
        return "  - name: " + name + "\n"
                + "    image: " + image + "\n"
                + "    imagePullPolicy: IfNotPresent\n"
                + "    command: [\"sh\", \"-c\", " + quote(script) + "]\n";
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    // ---- pod status ----

    /** Phase Running and every spec container reported running. */
    static boolean allRunning(Pod p) {
        int want = p.getSpec().getContainers().size();
        List<ContainerStatus> cs = p.getStatus() == null ? null : p.getStatus().getContainerStatuses();
        return p.getStatus() != null && "Running".equals(p.getStatus().getPhase()) && cs != null && cs.size() == want
                && cs.stream().allMatch(s -> s.getState() != null && s.getState().getRunning() != null
                && s.getContainerID() != null);
    }

    static boolean phase(Pod p, String phase) {
        return p.getStatus() != null && phase.equals(p.getStatus().getPhase());
    }

    Pod awaitRunning(String manifestName) throws InterruptedException {
        return kubelet.awaitPod(manifestName, KubeletItSupport::allRunning, RUNNING_TIMEOUT, "Running with all containers running");
    }

    static ContainerStatus status(Pod p, String container) {
        return p.getStatus().getContainerStatuses().stream().filter(s -> container.equals(s.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no status for container " + container + " in " + p.getStatus()));
    }

    /** The Docker id of a container from the pod's status ({@code docker://<id>}). */
    static String dockerId(Pod p, String container) {
        return PodDocker.dockerId(status(p, container).getContainerID());
    }

    static String uid(Pod p) {
        return p.getMetadata().getUid();
    }

    /** The pod's one running Docker container named {@code container}, by label, as Docker lists it. */
    static Container runningContainer(String podUid, String container) {
        List<Container> matching = PodDocker.containers(podUid).stream()
                .filter(c -> container.equals(c.getLabels().get(PodDocker.LABEL_CONTAINER_NAME)))
                .filter(PodDocker::isRunning).toList();
        if (matching.size() != 1) {
            throw new AssertionError("want one running Docker container " + container + " of pod " + podUid + ", got "
                    + describe(PodDocker.all(podUid)));
        }
        return matching.get(0);
    }

    static String describe(List<Container> cs) {
        StringBuilder b = new StringBuilder("[");
        for (Container c : cs) {
            b.append("\n  ").append(c.getId(), 0, 12).append(' ').append(PodDocker.name(c)).append(' ').append(c.getState())
                    .append(' ').append(c.getStatus());
        }
        return b.append(cs.isEmpty() ? "]" : "\n]").toString();
    }

    // ---- waiting ----

    /** Polls {@code check} every 200 ms until it gives a value; fails with {@code what} and the kubelet's log. */
    <T> T await(String what, Duration timeout, Supplier<Optional<T>> check, Supplier<String> detail)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> v = check.get();
            if (v.isPresent()) {
                return v.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what + "; last seen: " + detail.get() + "\n"
                        + kubelet.logTail());
            }
            Thread.sleep(200);
        }
    }

    /** Polls until {@code check} holds; the failure names {@code what} and shows {@code detail} and the log. */
    void awaitTrue(String what, Duration timeout, Supplier<Boolean> check, Supplier<String> detail)
            throws InterruptedException {
        await(what, timeout, () -> check.get() ? Optional.of(Boolean.TRUE) : Optional.empty(), detail);
    }

    /**
     * A {@code skiff} command against this kubelet's read-only port, as an operator runs it ({@code pods},
     * {@code describe pod NAME -n NS}); its output, after asserting it exits 0.
     */
    String skiff(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(SkiffKubelet.LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--read-only-port", Integer.toString(kubelet.readOnlyPort())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("skiff " + String.join(" ", args) + " did not finish: " + out);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("skiff " + String.join(" ", args) + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }

    /** Polls until Docker has no running container of the pod. */
    void awaitNothingRunning(String podUid, Duration timeout) throws InterruptedException {
        awaitTrue("no Docker container of pod " + podUid + " running", timeout,
                () -> PodDocker.runningIds(podUid).isEmpty(), () -> describe(PodDocker.all(podUid)));
    }

    /** Polls until Docker has no container at all (any state) of the pod. */
    void awaitNoContainers(String podUid, Duration timeout) throws InterruptedException {
        awaitTrue("no Docker container of pod " + podUid + " left", timeout,
                () -> PodDocker.all(podUid).isEmpty(), () -> describe(PodDocker.all(podUid)));
    }
}
