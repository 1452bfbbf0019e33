package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * securityContext.fsGroup applied to volumes as upstream's SetVolumeOwnership: a container running as a user that
 * is neither owner nor root reads a 0400 secret and writes into an emptyDir through the group.
 */
class FsGroupIT extends VolumeItSupport {

    @Test
    void nonRootContainerUsesVolumesThroughItsFsGroup() throws Exception {
        String manifest = """
                apiVersion: v1
                kind: Secret
                metadata: {name: creds, namespace: %s}
                stringData: {password: s3cret}
                ---
                """.formatted(ns) + podYaml("fsg", """
                  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}
                  volumes:
                  - {name: sec, secret: {secretName: creds, defaultMode: 256}}
                  - {name: scratch, emptyDir: {}}
                  - {name: mem, emptyDir: {medium: Memory}}
                """, container("c", "sleep 3600", mount("sec", "/sec"), mount("scratch", "/scratch"), mount("mem", "/mem")));
        kubelet.writeManifest("fsg.yaml", manifest);
        Pod p = awaitRunning("fsg");
        String c = dockerId(p, "c");

        assertEquals("1000 3000 2000", PodDocker.sh(c, "echo $(id -u) $(id -g) $(id -G | tr ' ' '\\n' | grep -x 2000)").trim(),
                "the container runs as 1000:3000 with supplementary group 2000");
        assertEquals("s3cret", PodDocker.sh(c, "cat /sec/password").trim(), "0400 secret unreadable through fsGroup");
        assertEquals("440 2000", PodDocker.sh(c, "stat -L -c '%a %g' /sec/password").trim(), "0400 | 0440, group fsGroup");
        for (String dir : new String[] {"/scratch", "/mem"}) {
            String out = PodDocker.sh(c, "echo hi > " + dir + "/f && stat -c '%g' " + dir + "/f && stat -c '%A %g' " + dir);
            String[] lines = out.trim().split("\n");
            assertEquals("2000", lines[0], dir + ": a new file inherits the group (setgid directory): " + out);
            assertTrue(lines[1].matches("drwxrwsrw[xt] 2000"), dir + ": " + lines[1]);
        }
    }
}
