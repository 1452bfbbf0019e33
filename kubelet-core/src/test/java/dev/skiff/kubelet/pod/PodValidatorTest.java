package dev.skiff.kubelet.pod;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Validation as upstream pkg/apis/core/validation, through the loader so defaults are in place. */
class PodValidatorTest {
    private final StaticPodLoader loader = new StaticPodLoader("node1");

    private String reason(String metaExtra, String spec) {
        String yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n" + metaExtra + "spec:\n" + spec;
        ManifestException e = assertThrows(ManifestException.class,
                () -> loader.load(Path.of("/m/p.yaml"), yaml.getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, e.line());
        assertTrue(e.reason().startsWith("invalid pod: "), e.reason());
        return e.reason();
    }

    private String reason(String spec) {
        return reason("", spec);
    }

    private static void has(String reason, String expected) {
        assertTrue(reason.contains(expected), () -> "missing <" + expected + "> in <" + reason + ">");
    }

    @Test
    void validPodPasses() throws Exception {
        String yaml = """
                apiVersion: v1
                kind: Pod
                metadata: {name: ok, namespace: kube-system}
                spec:
                  initContainers: [{name: init, image: b}]
                  containers:
                  - name: c-1
                    image: b
                    ports:
                    - {name: http, containerPort: 80, hostPort: 8080, protocol: TCP}
                    - {name: dns, containerPort: 53, protocol: UDP}
                    - {containerPort: 9000, protocol: SCTP}
                    env: [{name: MY_ENV.name-1, value: x}, {name: _x, value: y}]
                    volumeMounts: [{name: data, mountPath: /data}]
                  volumes: [{name: data, emptyDir: {}}]
                  dnsPolicy: None
                  dnsConfig: {nameservers: [1.1.1.1]}
                """;
        assertEquals(0, PodValidator.validate(loader.load(Path.of("/m/ok.yaml"),
                yaml.getBytes(StandardCharsets.UTF_8)).pod().orElseThrow()).size());
    }

    @Test
    void podName() {
        String r = assertThrows(ManifestException.class, () -> loader.load(Path.of("/m/p.yaml"),
                "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec:\n  containers: [{name: c, image: b}]\n"
                        .getBytes(StandardCharsets.UTF_8))).reason();
        has(r, "metadata.name: Invalid value: \"Bad_Name-node1\": a lowercase RFC 1123 subdomain must consist of");
    }

    @Test
    void namespace() {
        has(reason("  namespace: My.NS\n", "  containers: [{name: c, image: b}]\n"),
                "metadata.namespace: Invalid value: \"My.NS\": a lowercase RFC 1123 label must consist of");
    }

    @Test
    void atLeastOneContainer() {
        has(reason("  restartPolicy: Always\n"), "spec.containers: Required value");
    }

    @Test
    void containerNames() {
        String r = reason("  initContainers: [{name: dup, image: b}]\n"
                + "  containers: [{name: Foo, image: b}, {name: dup, image: b}, {image: b}]\n");
        has(r, "spec.containers[0].name: Invalid value: \"Foo\": a lowercase RFC 1123 label must consist of");
        has(r, "spec.containers[1].name: Duplicate value: \"dup\"");
        has(r, "spec.containers[2].name: Required value");
    }

    @Test
    void containerNameTooLong() {
        has(reason("  containers: [{name: " + "a".repeat(64) + ", image: b}]\n"),
                "spec.containers[0].name: Invalid value: \"" + "a".repeat(64) + "\": must be no more than 63 characters");
    }

    @Test
    void imageRequired() {
        has(reason("  containers: [{name: c}]\n"), "spec.containers[0].image: Required value");
        has(reason("  initContainers: [{name: i, image: \" \"}]\n  containers: [{name: c, image: b}]\n"),
                "spec.initContainers[0].image: Required value");
    }

    @Test
    void ports() {
        String r = reason("""
                  containers:
                  - name: c
                    image: b
                    ports:
                    - {name: http, containerPort: 0}
                    - {name: http, containerPort: 70000, hostPort: 70000}
                    - {name: Web--x, containerPort: 80, protocol: tcp}
                    - {name: "123", containerPort: 81, hostPort: -1}
                    - {name: averyveryverylongname, containerPort: 82}
                """);
        has(r, "spec.containers[0].ports[0].containerPort: Required value");
        has(r, "spec.containers[0].ports[1].name: Duplicate value: \"http\"");
        has(r, "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive");
        has(r, "spec.containers[0].ports[1].hostPort: Invalid value: 70000: must be between 1 and 65535, inclusive");
        has(r, "spec.containers[0].ports[2].name: Invalid value: \"Web--x\": must contain only alpha-numeric characters");
        has(r, "spec.containers[0].ports[2].name: Invalid value: \"Web--x\": must not contain consecutive hyphens");
        has(r, "spec.containers[0].ports[2].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"");
        has(r, "spec.containers[0].ports[3].name: Invalid value: \"123\": must contain at least one letter (a-z)");
        has(r, "spec.containers[0].ports[3].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive");
        has(r, "spec.containers[0].ports[4].name: Invalid value: \"averyveryverylongname\": must be no more than 15 characters");
    }

    @Test
    void samePortNameInDifferentContainersIsFine() throws Exception {
        String yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                + "  - {name: a, image: b, ports: [{name: http, containerPort: 80}]}\n"
                + "  - {name: c, image: b, ports: [{name: http, containerPort: 81}]}\n";
        loader.load(Path.of("/m/p.yaml"), yaml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void restartPolicy() {
        has(reason("  restartPolicy: Sometimes\n  containers: [{name: c, image: b}]\n"),
                "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\", \"OnFailure\"");
    }

    @Test
    void containerRestartPolicyOnlyAlwaysAndOnlyOnInitContainers() throws Exception {
        has(reason("  initContainers: [{name: i, image: b, restartPolicy: OnFailure}]\n  containers: [{name: c, image: b}]\n"),
                "spec.initContainers[0].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"");
        has(reason("  initContainers: [{name: i, image: b, restartPolicy: Never}]\n  containers: [{name: c, image: b}]\n"),
                "spec.initContainers[0].restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"");
        has(reason("  containers: [{name: c, image: b}, {name: d, image: b, restartPolicy: Always}]\n"),
                "spec.containers[1].restartPolicy: Forbidden: may not be set for non-init containers");
        String sidecar = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                + "  restartPolicy: Never\n"
                + "  initContainers: [{name: log, image: b, restartPolicy: Always}]\n"
                + "  containers: [{name: c, image: b}]\n";
        assertTrue(loader.load(Path.of("/m/p.yaml"), sidecar.getBytes(StandardCharsets.UTF_8)).pod().isPresent(),
                "a sidecar (restartPolicy Always on an init container) is valid whatever the pod's restartPolicy");
    }

    @Test
    void dnsPolicy() {
        has(reason("  dnsPolicy: Cluster\n  containers: [{name: c, image: b}]\n"),
                "spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: \"ClusterFirst\", "
                        + "\"ClusterFirstWithHostNet\", \"Default\", \"None\"");
        has(reason("  dnsPolicy: None\n  containers: [{name: c, image: b}]\n"),
                "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None");
    }

    @Test
    void imagePullPolicy() {
        has(reason("  containers: [{name: c, image: b, imagePullPolicy: Sometimes}]\n"),
                "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\"");
    }

    @Test
    void volumesAndMounts() {
        String r = reason("""
                  containers:
                  - name: c
                    image: b
                    volumeMounts:
                    - {name: data, mountPath: /a}
                    - {name: missing, mountPath: /b}
                    - {name: data}
                  volumes:
                  - {name: data, emptyDir: {}}
                  - {name: data, emptyDir: {}}
                  - {name: Bad_Vol, emptyDir: {}}
                """);
        has(r, "spec.volumes[1].name: Duplicate value: \"data\"");
        has(r, "spec.volumes[2].name: Invalid value: \"Bad_Vol\": a lowercase RFC 1123 label");
        has(r, "spec.containers[0].volumeMounts[1].name: Not found: \"missing\"");
        has(r, "spec.containers[0].volumeMounts[2].mountPath: Required value");
    }

    @Test
    void subPathsStayInTheirVolumeAndPropagationIsKnown() {
        String r = reason("""
                  containers:
                  - name: c
                    image: b
                    volumeMounts:
                    - {name: data, mountPath: /a, subPath: ../etc}
                    - {name: data, mountPath: /b, subPath: /etc}
                    - {name: data, mountPath: /c, subPathExpr: "$(X)/..", subPath: x}
                    - {name: data, mountPath: /d, mountPropagation: Sideways}
                    - {name: data, mountPath: /e, subPath: "a/..b/c", mountPropagation: HostToContainer}
                    - {name: data, mountPath: /f, mountPropagation: Bidirectional}
                  volumes:
                  - {name: data, emptyDir: {}}
                """);
        has(r, "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"../etc\": must not contain '..'");
        has(r, "spec.containers[0].volumeMounts[1].subPath: Invalid value: \"/etc\": must be a relative path");
        has(r, "spec.containers[0].volumeMounts[2].subPathExpr: Invalid value: \"$(X)/..\": subPathExpr and subPath are mutually exclusive");
        has(r, "spec.containers[0].volumeMounts[2].subPathExpr: Invalid value: \"$(X)/..\": must not contain '..'");
        has(r, "spec.containers[0].volumeMounts[3].mountPropagation: Unsupported value: \"Sideways\"");
        has(r, "spec.containers[0].volumeMounts[5].mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers");
        assertFalse(r.contains("volumeMounts[4]"), r);
    }

    @Test
    void envNames() {
        String r = reason("  containers:\n  - name: c\n    image: b\n    env: [{name: 1ABC, value: x}, {name: A=B}, {value: y}]\n");
        has(r, "spec.containers[0].env[0].name: Invalid value: \"1ABC\": a valid environment variable name must consist of");
        has(r, "spec.containers[0].env[1].name: Invalid value: \"A=B\"");
        has(r, "spec.containers[0].env[2].name: Required value");
    }

    @Test
    void allErrorsAreJoined() {
        String r = reason("  restartPolicy: X\n  containers: [{name: Foo}]\n");
        assertEquals("invalid pod: spec.containers[0].name: Invalid value: \"Foo\": a lowercase RFC 1123 label must "
                + "consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric "
                + "character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                + "; spec.containers[0].image: Required value"
                + "; spec.restartPolicy: Unsupported value: \"X\": supported values: \"Always\", \"Never\", \"OnFailure\"",
                r);
    }

    @Test
    void portNameRules() {
        assertTrue(PodValidator.portNameErrors("http").isEmpty());
        assertTrue(PodValidator.portNameErrors("h-2").isEmpty());
        assertEquals(1, PodValidator.portNameErrors("-http").size());
    }
}
