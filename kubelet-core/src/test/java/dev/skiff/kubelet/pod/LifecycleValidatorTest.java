package dev.skiff.kubelet.pod;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lifecycle hook validation as upstream's, through the loader so API defaults (grace period 30 s) are in place. */
class LifecycleValidatorTest {
    private final StaticPodLoader loader = new StaticPodLoader("node1");

    private static String yaml(String specLines, String containerLines) {
        return """
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                spec:
                """ + specLines.indent(2) + """
                  containers:
                  - name: app
                    image: busybox
                    ports: [{name: http, containerPort: 8080}]
                """ + containerLines.indent(4);
    }

    private String reason(String specLines, String containerLines) {
        ManifestException e = assertThrows(ManifestException.class, () -> loader.load(Path.of("/m/p.yaml"),
                yaml(specLines, containerLines).getBytes(StandardCharsets.UTF_8)));
        return e.reason();
    }

    private static void has(String reason, String expected) {
        assertTrue(reason.contains(expected), () -> "missing <" + expected + "> in <" + reason + ">");
    }

    @Test
    void everyHandlerIsValid() {
        assertDoesNotThrow(() -> loader.load(Path.of("/m/p.yaml"), yaml("terminationGracePeriodSeconds: 10", """
                lifecycle:
                  postStart:
                    httpGet: {port: http, path: /started, scheme: HTTP}
                  preStop:
                    sleep: {seconds: 10}
                """).getBytes(StandardCharsets.UTF_8)));
        assertDoesNotThrow(() -> loader.load(Path.of("/m/p.yaml"), yaml("", """
                lifecycle:
                  postStart:
                    exec: {command: [sh, -c, "echo hi > /tmp/x"]}
                """).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void twoHandlersAreRefused() {
        has(reason("", """
                lifecycle:
                  postStart:
                    exec: {command: ["true"]}
                    httpGet: {port: 80, path: /}
                """), "spec.containers[0].lifecycle.postStart.httpGet: Forbidden: may not specify more than 1 handler type");
        has(reason("", """
                lifecycle:
                  preStop:
                    httpGet: {port: 80, path: /}
                    sleep: {seconds: 1}
                """), "spec.containers[0].lifecycle.preStop.sleep: Forbidden: may not specify more than 1 handler type");
    }

    @Test
    void aHookNeedsAHandlerAndItsFields() {
        has(reason("", """
                lifecycle:
                  preStop: {}
                """), "spec.containers[0].lifecycle.preStop: Required value: must specify a handler type");
        has(reason("", """
                lifecycle:
                  postStart:
                    exec: {command: []}
                """), "spec.containers[0].lifecycle.postStart.exec.command: Required value");
        has(reason("", """
                lifecycle:
                  postStart:
                    httpGet: {port: 0, path: /x}
                """), "spec.containers[0].lifecycle.postStart.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive");
    }

    @Test
    void sleepMustFitTheGracePeriod() {
        has(reason("", """
                lifecycle:
                  preStop:
                    sleep: {seconds: 60}
                """), "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be greater than 0 and less "
                + "than terminationGracePeriodSeconds (30)");
        has(reason("terminationGracePeriodSeconds: 5", """
                lifecycle:
                  postStart:
                    sleep: {seconds: 0}
                """), "spec.containers[0].lifecycle.postStart.sleep: Invalid value: 0: must be greater than 0 and less "
                + "than terminationGracePeriodSeconds (5)");
    }

    @Test
    void onlySidecarInitContainersHaveHooks() {
        has(reason("""
                initContainers:
                - name: setup
                  image: busybox
                  lifecycle:
                    postStart: {exec: {command: ["true"]}}
                """, ""), "spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without "
                + "restartPolicy=Always");
        assertDoesNotThrow(() -> loader.load(Path.of("/m/p.yaml"), yaml("""
                initContainers:
                - name: proxy
                  image: busybox
                  restartPolicy: Always
                  lifecycle:
                    preStop: {exec: {command: ["true"]}}
                """, "").getBytes(StandardCharsets.UTF_8)));
    }
}
