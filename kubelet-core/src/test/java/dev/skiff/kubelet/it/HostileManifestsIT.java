package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A directory of hostile manifests ({@link HostileManifests}) written beside a running pod: each gets a clear
 * refusal at {@code /manifests/errors} (or the acceptance upstream would give it), and afterwards Skiff is healthy,
 * the running pod's containers are the same ones, a new manifest is followed within seconds, the secret behind a
 * symlink was never printed, and Skiff's RSS stayed bounded.
 */
class HostileManifestsIT extends KubeletItSupport {
    /** bin/skiff's heap is at most 128 MB; a hostile file must not take Skiff far beyond its usual ~150 MB. */
    private static final long MAX_RSS_BYTES = 400L << 20;

    @Test
    void everyHostileEntryIsRefusedWithAReasonAndNothingElseIsDisturbed() throws Exception {
        kubelet.writeManifest("steady.yaml", podYaml("steady", "", container("a", "sleep 3600")));
        Pod steady = awaitRunning("steady");
        Set<String> steadyIds = PodDocker.runningIds(uid(steady));
        assertEquals(2, steadyIds.size(), describe(PodDocker.all(uid(steady))));

        Path secret = Files.writeString(kubelet.manifestDir().resolveSibling("not-a-manifest.key"),
                "password: " + HostileManifests.SECRET_MARKER + "\ntoken: " + HostileManifests.SECRET_MARKER + "\n");
        HostileManifests hostile = new HostileManifests(ns, image, secret);
        List<HostileManifests.Case> cases = hostile.cases();
        assertTrue(cases.size() >= 50, "only " + cases.size() + " cases");
        try {
            hostile.writeAll(kubelet.manifestDir());

            // every refusal listed with its reason, every accepted pod listed
            awaitTrue("every hostile entry handled", Duration.ofSeconds(90), () -> unmet(cases).isEmpty(),
                    () -> String.join("\n", unmet(cases)));
            Map<String, SkiffKubelet.ManifestErrorView> errors = errorsByFile();
            for (HostileManifests.Case c : cases) {
                SkiffKubelet.ManifestErrorView e = errors.get(c.fileName());
                if (c.expect() instanceof HostileManifests.Refused r) {
                    assertTrue(e.reason().contains(r.reason()), c.fileName() + ": want \"" + r.reason() + "\", got " + e);
                    assertTrue(e.reason().length() < 1000, c.fileName() + ": reason of " + e.reason().length() + " chars");
                } else {
                    assertEquals(null, e, c.fileName() + " accepted or ignored, yet listed as an error");
                }
            }

            // nothing echoed the secret behind the symlink
            assertFalse(kubelet.log().contains(HostileManifests.SECRET_MARKER), "the log printed the secret");
            assertFalse(kubelet.toJson(kubelet.manifestErrors()).contains(HostileManifests.SECRET_MARKER),
                    "/manifests/errors printed the secret");

            // Skiff is healthy, the running pod untouched, and a new manifest is followed
            assertEquals(200, kubelet.healthz().status(), kubelet.healthz().body());
            Pod still = kubelet.pod("steady").orElseThrow(() -> new AssertionError("steady pod gone\n" + kubelet.logTail()));
            assertEquals(uid(steady), uid(still));
            assertTrue(allRunning(still), kubelet.toJson(still.getStatus()));
            assertEquals(steadyIds, PodDocker.runningIds(uid(steady)), describe(PodDocker.all(uid(steady))));
            assertEquals(steadyIds.size(), PodDocker.all(uid(steady)).size(),
                    "containers were restarted: " + describe(PodDocker.all(uid(steady))));

            kubelet.writeManifest("after.yaml", podYaml("after", "", container("a", "sleep 3600")));
            awaitRunning("after");

            long rss = rssBytes(kubelet.process().pid());
            assertTrue(rss < MAX_RSS_BYTES, "RSS " + (rss >> 20) + " MB");
        } finally {
            hostile.close();
        }
    }

    /** What is not (yet) as a case wants it, one line each. */
    private List<String> unmet(List<HostileManifests.Case> cases) {
        Map<String, SkiffKubelet.ManifestErrorView> errors = errorsByFile();
        Set<String> pods = kubelet.pods().getItems().stream().map(p -> p.getMetadata().getName())
                .collect(Collectors.toSet());
        List<String> out = new ArrayList<>();
        for (HostileManifests.Case c : cases) {
            SkiffKubelet.ManifestErrorView e = errors.get(c.fileName());
            if (c.expect() instanceof HostileManifests.Refused r && (e == null || !e.reason().contains(r.reason()))) {
                out.add(c.fileName() + ": want a refusal with \"" + r.reason() + "\", got " + e);
            } else if (c.expect() instanceof HostileManifests.Accepted a && !pods.contains(kubelet.podName(a.podName()))) {
                out.add(c.fileName() + ": want pod " + kubelet.podName(a.podName()) + " listed; error: " + e);
            }
        }
        return out;
    }

    private Map<String, SkiffKubelet.ManifestErrorView> errorsByFile() {
        return kubelet.manifestErrors().stream().filter(e -> e.file() != null)
                .collect(Collectors.toMap(e -> Path.of(e.file()).getFileName().toString(), e -> e, (a, b) -> a));
    }

    private static long rssBytes(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new AssertionError("no VmRSS in /proc/" + pid + "/status");
    }
}
