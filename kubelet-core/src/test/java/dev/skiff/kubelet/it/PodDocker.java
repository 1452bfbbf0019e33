package dev.skiff.kubelet.it;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import dev.skiff.cri.testing.TestDocker;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * What Docker itself says about a pod's containers, and commands run inside them, so the ITs check observed
 * facts rather than only what Skiff reports.
 */
public final class PodDocker {
    public static final String LABEL_POD_UID = "io.kubernetes.pod.uid";
    public static final String LABEL_POD_NAME = "io.kubernetes.pod.name";
    public static final String LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace";
    public static final String LABEL_CONTAINER_NAME = "io.kubernetes.container.name";
    public static final String LABEL_DOCKER_TYPE = "io.kubernetes.docker.type";

    private PodDocker() {
    }

    private static DockerClient docker() {
        return TestDocker.client();
    }

    /** Every Docker container (running or not) labelled with this pod uid: the sandbox and the app containers. */
    public static List<Container> all(String podUid) {
        return docker().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LABEL_POD_UID, podUid)).exec();
    }

    /** The pod's app containers (docker.type container), any state. */
    public static List<Container> containers(String podUid) {
        return all(podUid).stream().filter(c -> "container".equals(c.getLabels().get(LABEL_DOCKER_TYPE))).toList();
    }

    /** The pod's sandboxes (docker.type podsandbox), any state. */
    public static List<Container> sandboxes(String podUid) {
        return all(podUid).stream().filter(c -> "podsandbox".equals(c.getLabels().get(LABEL_DOCKER_TYPE))).toList();
    }

    /** Ids of the pod's Docker containers (sandbox included) that run now. */
    public static Set<String> runningIds(String podUid) {
        return all(podUid).stream().filter(PodDocker::isRunning).map(Container::getId).collect(Collectors.toSet());
    }

    public static boolean isRunning(Container c) {
        return "running".equals(c.getState());
    }

    /** The container's one Docker name, without the leading slash. */
    public static String name(Container c) {
        String n = c.getNames()[0];
        return n.startsWith("/") ? n.substring(1) : n;
    }

    public static Optional<InspectContainerResponse> inspect(String id) {
        try {
            return Optional.of(docker().inspectContainerCmd(id).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /** The id in a status containerID {@code docker://<id>}; fails on any other form. */
    public static String dockerId(String containerId) {
        if (containerId == null || !containerId.startsWith("docker://") || containerId.length() <= "docker://".length()) {
            throw new AssertionError("containerID not docker://<id>: " + containerId);
        }
        return containerId.substring("docker://".length());
    }

    /** Output and exit code of a command run inside a container. */
    public record ExecResult(int exitCode, byte[] stdoutBytes, String stderr) {
        public String stdout() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }

        /** stdout without surrounding whitespace, after checking the command succeeded. */
        public String ok() {
            if (exitCode != 0) {
                throw new AssertionError("exit " + exitCode + ", stdout: " + stdout() + ", stderr: " + stderr);
            }
            return stdout().trim();
        }
    }

    /** Runs {@code cmd} in a running container (docker exec, no tty) and waits at most {@code timeout}. */
    public static ExecResult exec(String containerId, Duration timeout, String... cmd) throws InterruptedException {
        String execId = docker().execCreateCmd(containerId).withCmd(cmd)
                .withAttachStdin(false).withAttachStdout(true).withAttachStderr(true).withTty(false)
                .exec().getId();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ResultCallback.Adapter<Frame> callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                synchronized (out) {
                    switch (frame.getStreamType()) {
                        case STDOUT, RAW -> out.writeBytes(frame.getPayload());
                        case STDERR -> err.writeBytes(frame.getPayload());
                        default -> {
                        }
                    }
                }
            }
        };
        try (callback) {
            docker().execStartCmd(execId).withDetach(false).withTty(false).exec(callback);
            if (!callback.awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("exec " + String.join(" ", cmd) + " in " + containerId + " still running after " + timeout);
            }
        } catch (java.io.IOException ignored) {
            // closing the attach stream
        }
        // the stream can close a moment before Docker records the exit code
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        InspectExecResponse r = docker().inspectExecCmd(execId).exec();
        while (Boolean.TRUE.equals(r.isRunning()) && System.nanoTime() < until) {
            Thread.sleep(20);
            r = docker().inspectExecCmd(execId).exec();
        }
        Long code = r.getExitCodeLong();
        synchronized (out) {
            return new ExecResult(code == null ? -1 : code.intValue(), out.toByteArray(),
                    err.toString(StandardCharsets.UTF_8));
        }
    }

    /** {@link #exec} with a 20 s timeout, returning trimmed stdout of a command that must succeed. */
    public static String sh(String containerId, String script) throws InterruptedException {
        return exec(containerId, Duration.ofSeconds(20), "sh", "-c", script).ok();
    }
}
