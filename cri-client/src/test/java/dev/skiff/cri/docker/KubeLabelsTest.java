package dev.skiff.cri.docker;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class KubeLabelsTest {
    @Test
    void annotationsBecomePrefixedLabels() {
        Map<String, String> docker = KubeLabels.toDocker(Map.of("app", "web"), Map.of("io.kubernetes.container.hash", "abc"));
        assertEquals(Map.of("app", "web", "annotation.io.kubernetes.container.hash", "abc"), docker);
    }

    @Test
    void labelsAndAnnotationsRoundTripThroughDockerLabels() {
        Map<String, String> labels = Map.of("app", "web", "tier", "front", "io.kubernetes.pod.name", "web-0");
        Map<String, String> annotations = Map.of("kubernetes.io/config.seen", "2026-01-01", "note", "a=b,c");
        Map<String, String> docker = new HashMap<>(KubeLabels.toDocker(labels, annotations));
        // What the shim adds for itself must not leak back into CRI labels.
        docker.put(KubeLabels.TYPE, KubeLabels.TYPE_CONTAINER);
        docker.put(KubeLabels.SANDBOX_ID, "0123abcd");
        docker.put(KubeLabels.LOG_PATH, "/var/log/pods/x/c/0.log");
        docker.put(KubeLabels.SANDBOX_LOG_DIRECTORY, "/var/log/pods/x");
        assertEquals(labels, KubeLabels.criLabels(docker));
        assertEquals(annotations, KubeLabels.criAnnotations(docker));
    }

    @Test
    void emptyAndNullLabels() {
        assertEquals(Map.of(), KubeLabels.criLabels(null));
        assertEquals(Map.of(), KubeLabels.criAnnotations(null));
        assertEquals(Map.of(), KubeLabels.criLabels(Map.of()));
    }

    @Test
    void selectorIsAnAndOfEqualities() {
        Map<String, String> labels = Map.of("app", "web", "tier", "front");
        assertTrue(KubeLabels.matches(labels, Map.of()));
        assertTrue(KubeLabels.matches(labels, Map.of("app", "web")));
        assertTrue(KubeLabels.matches(labels, Map.of("app", "web", "tier", "front")));
        assertFalse(KubeLabels.matches(labels, Map.of("app", "web", "tier", "back")));
        assertFalse(KubeLabels.matches(labels, Map.of("missing", "")));
        assertFalse(KubeLabels.matches(null, Map.of("app", "web")));
        assertTrue(KubeLabels.matches(null, Map.of()));
    }

    @Test
    void keysAreCriDockerds() {
        assertEquals("io.kubernetes.pod.name", KubeLabels.POD_NAME);
        assertEquals("io.kubernetes.pod.namespace", KubeLabels.POD_NAMESPACE);
        assertEquals("io.kubernetes.pod.uid", KubeLabels.POD_UID);
        assertEquals("io.kubernetes.container.name", KubeLabels.CONTAINER_NAME);
        assertEquals("io.kubernetes.docker.type", KubeLabels.TYPE);
        assertEquals("podsandbox", KubeLabels.TYPE_SANDBOX);
        assertEquals("container", KubeLabels.TYPE_CONTAINER);
        assertEquals("io.kubernetes.sandbox.id", KubeLabels.SANDBOX_ID);
        assertEquals("io.kubernetes.container.logpath", KubeLabels.LOG_PATH);
        assertEquals("annotation.", KubeLabels.ANNOTATION_PREFIX);
    }
}
