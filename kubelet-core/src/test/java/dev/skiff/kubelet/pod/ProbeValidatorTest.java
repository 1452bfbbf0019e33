package dev.skiff.kubelet.pod;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Probe validation as upstream's, through the loader so API defaults are in place. */
class ProbeValidatorTest {
    private final StaticPodLoader loader = new StaticPodLoader("node1");

    private static String yaml(String containerLines) {
        return """
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                spec:
                  containers:
                  - name: app
                    image: busybox
                    ports: [{name: http, containerPort: 8080}]
                """ + containerLines.indent(4);
    }

    private String reason(String containerLines) {
        ManifestException e = assertThrows(ManifestException.class,
                () -> loader.load(Path.of("/m/p.yaml"), yaml(containerLines).getBytes(StandardCharsets.UTF_8)));
        return e.reason();
    }

    private static void has(String reason, String expected) {
        assertTrue(reason.contains(expected), () -> "missing <" + expected + "> in <" + reason + ">");
    }

    @Test
    void everyHandlerWithItsFieldsIsValid() {
        assertDoesNotThrow(() -> loader.load(Path.of("/m/p.yaml"), yaml("""
                livenessProbe:
                  exec: {command: [cat, /tmp/ok]}
                  initialDelaySeconds: 5
                  terminationGracePeriodSeconds: 3
                readinessProbe:
                  httpGet:
                    port: http
                    path: /ready
                    scheme: HTTPS
                    httpHeaders: [{name: X-Probe, value: "1"}]
                  successThreshold: 2
                startupProbe:
                  grpc: {port: 9000, service: db}
                  failureThreshold: 30
                """).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void twoHandlersInOneProbe() {
        has(reason("""
                livenessProbe:
                  exec: {command: ["true"]}
                  httpGet: {port: 8080}
                """), "spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type");
    }

    @Test
    void noHandler() {
        has(reason("""
                readinessProbe:
                  periodSeconds: 3
                """), "spec.containers[0].readinessProbe: Required value: must specify a handler type");
    }

    @Test
    void negativeNumbers() {
        String r = reason("""
                readinessProbe:
                  tcpSocket: {port: 8080}
                  periodSeconds: -1
                  initialDelaySeconds: -2
                """);
        has(r, "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0");
        has(r, "spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -2: must be greater than or equal to 0");
    }

    @Test
    void livenessAndStartupNeedSuccessThresholdOne() {
        has(reason("""
                livenessProbe:
                  tcpSocket: {port: 8080}
                  successThreshold: 2
                """), "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1");
        has(reason("""
                startupProbe:
                  tcpSocket: {port: 8080}
                  successThreshold: 3
                """), "spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1");
    }

    @Test
    void badPortsSchemesAndHeaders() {
        has(reason("""
                readinessProbe:
                  httpGet: {port: 70000}
                """), "spec.containers[0].readinessProbe.httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive");
        has(reason("""
                readinessProbe:
                  tcpSocket: {port: Web_Port}
                """), "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: \"Web_Port\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        has(reason("""
                readinessProbe:
                  grpc: {port: 0}
                """), "spec.containers[0].readinessProbe.grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive");
        has(reason("""
                readinessProbe:
                  httpGet: {port: 80, scheme: FTP}
                """), "spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: \"FTP\": supported values: \"HTTP\", \"HTTPS\"");
        has(reason("""
                readinessProbe:
                  httpGet: {port: 80, httpHeaders: [{name: "bad header", value: x}]}
                """), "spec.containers[0].readinessProbe.httpGet.httpHeaders: Invalid value: \"bad header\": a valid HTTP header must consist of alphanumeric characters or '-'");
        has(reason("""
                livenessProbe:
                  exec: {command: []}
                """), "spec.containers[0].livenessProbe.exec.command: Required value");
    }

    @Test
    void gracePeriods() {
        has(reason("""
                livenessProbe:
                  tcpSocket: {port: 8080}
                  terminationGracePeriodSeconds: 0
                """), "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0");
        has(reason("""
                readinessProbe:
                  tcpSocket: {port: 8080}
                  terminationGracePeriodSeconds: 5
                """), "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes");
    }

    @Test
    void anUnknownPortNameIsAValidNameAndFailsAtRunTime() {
        assertDoesNotThrow(() -> loader.load(Path.of("/m/p.yaml"), yaml("""
                readinessProbe:
                  httpGet: {port: metrics}
                """).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void initContainersTakeProbesOnlyAsSidecars() {
        String y = """
                apiVersion: v1
                kind: Pod
                metadata: {name: p}
                spec:
                  initContainers:
                  - name: init
                    image: busybox
                    readinessProbe: {exec: {command: ["true"]}}
                  - name: sidecar
                    image: busybox
                    restartPolicy: Always
                    readinessProbe: {exec: {command: ["true"]}}
                  containers:
                  - {name: app, image: busybox}
                """;
        ManifestException e = assertThrows(ManifestException.class,
                () -> loader.load(Path.of("/m/p.yaml"), y.getBytes(StandardCharsets.UTF_8)));
        has(e.reason(), "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always");
        assertEquals(-1, e.reason().indexOf("initContainers[1]"), e.reason());
    }
}
