package dev.skiff.kubelet.it;

import com.github.dockerjava.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --container-runtime-endpoint unix://…}: the kubelet drives a CRI runtime over its socket instead of its
 * in-process shim. The runtime here is {@code skiff cri-shim}, a separate process, as cri-dockerd is upstream.
 */
class RemoteRuntimeIT extends KubeletItSupport {
    private static Path socket;
    private static Path shimLog;
    private static Process shim;

    @BeforeAll
    static void startShim() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        socket = Path.of("/tmp", "skiff-it-cri-" + id + ".sock");
        shimLog = Files.createTempFile("skiff-it-shim-", ".log");
        shim = new ProcessBuilder(SkiffKubelet.LAUNCHER.toString(), "cri-shim", "--listen", "unix://" + socket)
                .redirectErrorStream(true).redirectOutput(shimLog.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(socket)) {
            if (!shim.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("cri-shim did not serve " + socket + ":\n" + Files.readString(shimLog));
            }
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stopShim() throws InterruptedException, IOException {
        if (shim != null) {
            shim.destroy();
            if (!shim.waitFor(20, TimeUnit.SECONDS)) {
                shim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        Files.deleteIfExists(shimLog);
    }

    @Override
    String[] kubeletArgs() {
        return new String[] {"--container-runtime-endpoint", "unix://" + socket};
    }

    @Test
    void podRunsThroughARemoteCriRuntime() throws Exception {
        kubelet.writeManifest("remote.yaml", podYaml("remote", "", container("app", "sleep 3600")));
        Pod p = awaitRunning("remote");
        String uid = p.getMetadata().getUid();

        List<Container> containers = PodDocker.containers(uid);
        assertEquals(1, containers.size(), describe(PodDocker.all(uid)));
        assertTrue(PodDocker.isRunning(containers.get(0)), describe(containers));
        assertEquals(containers.get(0).getId(), dockerId(p, "app"));
        assertTrue(kubelet.log().contains("CRI runtime at unix://" + socket), kubelet.logTail());
        // the shim, not the kubelet, made the sandbox: its log names the pod
        assertTrue(Files.readString(shimLog).contains(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName()),
                Files.readString(shimLog));

        kubelet.deleteManifest("remote.yaml");
        awaitNoContainers(uid, java.time.Duration.ofSeconds(30));
    }
}
