package dev.skiff.kubelet.it;

import dev.skiff.volume.mount.MountInfo;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * volumeMounts with subPath and subPathExpr end to end: a directory of an emptyDir (created when missing), a
 * configMap key as a single file, and escapes out of the volume (absolute symlink, relative symlink, "..") refused
 * with a reason in the container's waiting state while everything else keeps running.
 */
class SubPathIT extends VolumeItSupport {
    private static final Duration SHORT = Duration.ofSeconds(60);
    private static final String CONFIG_ERROR = "CreateContainerConfigError";

    @Test
    void subPathsOfAnEmptyDirAreCreatedAndShared() throws Exception {
        String env = "    env:\n    - name: POD_NAME\n      valueFrom:\n        fieldRef:\n          fieldPath: metadata.name\n";
        kubelet.writeManifest("sp.yaml", podYaml("sp", "  volumes:\n  - name: data\n    emptyDir: {}\n",
                container("a", "echo from-a > /data/sub/file && sleep 3600", mount("data", "/data/sub", "subPath: sub")),
                container("deep", "echo from-deep > /deep/f && sleep 3600", mount("data", "/deep", "subPath: x/y/z")),
                container("mine", "echo from-mine > /mine/f && sleep 3600",
                        mount("data", "/mine", "subPathExpr: \"$(POD_NAME)\"")) + env,
                container("b", "sleep 3600", mount("data", "/all"))));
        Pod p = awaitRunning("sp");
        String podName = kubelet.podName("sp");

        // B sees, under the whole volume, what each subPath container wrote
        awaitOutput(p, "b", "cat /all/sub/file", "from-a", SHORT);
        awaitOutput(p, "b", "cat /all/x/y/z/f", "from-deep", SHORT);
        awaitOutput(p, "b", "cat /all/" + podName + "/f", "from-mine", SHORT);
        // A sees only its subdirectory at /data/sub
        assertEquals("file", PodDocker.sh(dockerId(p, "a"), "ls -A /data/sub"));

        Path vol = volumeDir(p, "empty-dir", "data");
        for (String made : List.of("sub", "x/y/z", podName)) {
            Path d = vol.resolve(made);
            assertTrue(Files.isDirectory(d), d + " was not created");
            assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)),
                    d + " has the volume's mode");
        }
        // each subPath is a bind mount at volume-subpaths/<volume>/<container>/<index>
        for (String c : List.of("a", "deep", "mine")) {
            Path target = podDir(p).resolve("volume-subpaths/data").resolve(c).resolve("0");
            List<MountInfo> at = mountsAt(target);
            assertEquals(1, at.size(), "one bind at " + target + ": " + describeMounts(mountsUnder(podDir(p))));
        }
    }

    @Test
    void subPathOfAConfigMapKeyIsThatFile() throws Exception {
        String cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: " + ns + "\n"
                + "data:\n  app.conf: \"hello=1\\n\"\n  other: \"not mounted\"\n---\n";
        kubelet.writeManifest("cm.yaml", cm + podYaml("cm", "  volumes:\n  - name: cfg\n    configMap:\n      name: app\n",
                container("c", "sleep 3600", mount("cfg", "/etc/app.conf", "subPath: app.conf"))));
        Pod p = awaitRunning("cm");
        String c = dockerId(p, "c");
        assertEquals("hello=1", PodDocker.sh(c, "test -f /etc/app.conf && cat /etc/app.conf"));
        // only that key: the image's /etc is still there and the other key is not
        assertEquals("missing", PodDocker.sh(c, "test -e /etc/other && echo present || echo missing"));
        assertEquals("yes", PodDocker.sh(c, "test -e /etc/passwd -o -e /etc/group -o -d /etc && echo yes"));
    }

    @Test
    void escapesOutOfTheVolumeAreRefusedAndNothingElseIsDisturbed() throws Exception {
        Path vol = tempDir("skiff-subpath-");
        Files.createDirectory(vol.resolve("ok"));
        Files.writeString(vol.resolve("ok/inside"), "inside the volume");
        Files.createSymbolicLink(vol.resolve("link"), Path.of("/etc"));
        // vol is /tmp/<name>: ../.. from inside it is /
        Files.createSymbolicLink(vol.resolve("up"), Path.of("../.."));
        assertTrue(Files.isDirectory(vol.resolve("up/etc")), "the relative link does lead out to /etc");

        String volumes = "  volumes:\n  - name: host\n    hostPath:\n      path: " + vol + "\n      type: Directory\n";
        kubelet.writeManifest("esc.yaml", podYaml("esc", volumes,
                container("good", "sleep 3600", mount("host", "/vol", "subPath: ok")),
                container("abs", "sleep 3600", mount("host", "/escaped", "subPath: link")),
                container("rel", "sleep 3600", mount("host", "/escaped", "subPath: up/etc"))));
        kubelet.writeManifest("dotdot.yaml", podYaml("dotdot", volumes,
                container("dotdot", "sleep 3600", mount("host", "/escaped", "subPath: ../etc"))));
        kubelet.writeManifest("bystander.yaml", podYaml("bystander", "", container("c", "sleep 3600")));

        Pod p = kubelet.awaitPod("esc", x -> running(x, "good")
                        && waiting(x, "abs", CONFIG_ERROR, "escapes its volume")
                        && waiting(x, "rel", CONFIG_ERROR, "escapes its volume"), Duration.ofSeconds(30),
                "good running, abs and rel refused");
        String absMsg = statusOrNull(p, "abs").getState().getWaiting().getMessage();
        assertTrue(absMsg.contains("failed to prepare subPath for volumeMount \"host\" of container \"abs\""), absMsg);
        assertTrue(absMsg.contains("subPath \"link\""), absMsg);
        String relMsg = statusOrNull(p, "rel").getState().getWaiting().getMessage();
        assertTrue(relMsg.contains("subPath \"up/etc\""), relMsg);
        assertEquals("inside the volume", PodDocker.sh(dockerId(p, "good"), "cat /vol/inside"));
        Pod bystander = awaitRunning("bystander");

        // "..": refused by validation (manifest error) or at container creation; either way with the reason
        String dotdotReason = await("the \"..\" subPath refused with a reason", Duration.ofSeconds(30), () -> {
            Optional<SkiffKubelet.ManifestErrorView> err = kubelet.manifestErrors().stream()
                    .filter(e -> e.file().endsWith("dotdot.yaml")).findFirst();
            if (err.isPresent()) {
                return Optional.of(err.get().reason());
            }
            return kubelet.pod("dotdot").filter(x -> waiting(x, "dotdot", CONFIG_ERROR, ".."))
                    .map(x -> statusOrNull(x, "dotdot").getState().getWaiting().getMessage());
        }, () -> kubelet.pod("dotdot").map(x -> kubelet.toJson(x.getStatus())).orElse("<not listed>")
                + " manifest errors " + kubelet.manifestErrors());
        assertTrue(dotdotReason.contains("../etc") && dotdotReason.contains("must not contain"),
                dotdotReason);

        // a few syncs later: still refused, no Docker container for them, /etc bound nowhere in the pods
        Thread.sleep(3_000);
        Pod later = kubelet.pod("esc").orElseThrow();
        assertTrue(waiting(later, "abs", CONFIG_ERROR, "escapes its volume"), kubelet.toJson(later.getStatus()));
        assertTrue(waiting(later, "rel", CONFIG_ERROR, "escapes its volume"), kubelet.toJson(later.getStatus()));
        assertEquals(dockerId(p, "good"), dockerId(later, "good"), "the good container was replaced");
        assertEquals(0, status(later, "good").getRestartCount());
        for (String c : List.of("abs", "rel")) {
            assertTrue(PodDocker.containers(uid(p)).stream()
                    .noneMatch(x -> c.equals(x.getLabels().get(PodDocker.LABEL_CONTAINER_NAME))), c + " was created");
        }
        kubelet.pod("dotdot").ifPresent(d -> assertTrue(PodDocker.containers(uid(d)).isEmpty(),
                "the \"..\" container was created: " + describe(PodDocker.all(uid(d)))));
        List<MountInfo> podMounts = mountsUnder(kubelet.rootDir().resolve("pods"));
        assertTrue(podMounts.stream().noneMatch(m -> m.root().equals("/etc") || m.root().endsWith("/etc")),
                "/etc is bound under the pods dir: " + describeMounts(podMounts));
        assertTrue(podMounts.stream().noneMatch(m -> m.mountPoint().contains("/volume-subpaths/host/abs/")
                        || m.mountPoint().contains("/volume-subpaths/host/rel/")
                        || m.mountPoint().contains("/volume-subpaths/host/dotdot/")),
                "a refused subPath left a bind: " + describeMounts(podMounts));
        assertEquals(1, mountsAt(podDir(p).resolve("volume-subpaths/host/good/0")).size(),
                "the good subPath is bound: " + describeMounts(podMounts));
        assertEquals(dockerId(bystander, "c"), dockerId(awaitRunning("bystander"), "c"), "the bystander was replaced");
        // the test's own links are untouched
        assertEquals(Path.of("/etc"), Files.readSymbolicLink(vol.resolve("link")));
        assertEquals(Path.of("../.."), Files.readSymbolicLink(vol.resolve("up")));
    }
}
