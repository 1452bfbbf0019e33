package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StaticPodLoaderTest {
    private static final Path FILE = Path.of("/etc/kubernetes/manifests/web.yaml");
    private static final String POD = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              labels:
                app: web
            spec:
              containers:
              - name: nginx
                image: nginx:1.25
            """;

    private final StaticPodLoader loader = new StaticPodLoader("Node-A", fixed("2024-05-01T10:00:00.123400Z"));

    private static Clock fixed(String instant) {
        return Clock.fixed(Instant.parse(instant), ZoneOffset.UTC);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Pod pod(String yaml) throws ManifestException {
        return loader.load(FILE, b(yaml)).pod().orElseThrow();
    }

    private ManifestException fails(String content) {
        return assertThrows(ManifestException.class, () -> loader.load(FILE, b(content)));
    }

    // ---- parsing ----

    @Test
    void parsesYamlPod() throws Exception {
        Manifest m = loader.load(FILE, b(POD));
        assertEquals(FILE, m.file());
        assertTrue(m.objects().isEmpty());
        Pod p = m.pod().orElseThrow();
        assertEquals("nginx:1.25", p.getSpec().getContainers().get(0).getImage());
        assertEquals("web", p.getMetadata().getLabels().get("app"));
    }

    @Test
    void parsesJsonPod() throws Exception {
        String json = """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                 "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}
                """;
        Pod p = loader.load(FILE, b(json)).pod().orElseThrow();
        assertEquals("web-node-a", p.getMetadata().getName());
        assertEquals("nginx", p.getSpec().getContainers().get(0).getName());
    }

    @Test
    void parsesMultiDocumentYamlWithOtherKindsAndEmptyDocuments() throws Exception {
        String yaml = """
                ---
                # only a comment
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: conf
                data:
                  a: "1"
                ---
                """ + POD + """
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: s}
                stringData: {k: v}
                ---
                apiVersion: v1
                kind: PersistentVolume
                metadata: {name: pv}
                spec:
                  capacity: {storage: 1Gi}
                  hostPath: {path: /data}
                ---
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: pvc}
                spec:
                  accessModes: [ReadWriteOnce]
                ---
                apiVersion: storage.k8s.io/v1
                kind: StorageClass
                metadata: {name: local}
                provisioner: kubernetes.io/no-provisioner
                ---
                """;
        Manifest m = loader.load(FILE, b(yaml));
        assertTrue(m.pod().isPresent());
        assertEquals(5, m.objects().size());
        ConfigMap cm = assertInstanceOf(ConfigMap.class, m.objects().get(0));
        assertEquals("1", cm.getData().get("a"));
        Secret s = assertInstanceOf(Secret.class, m.objects().get(1));
        assertEquals("Opaque", s.getType());
        PersistentVolume pv = assertInstanceOf(PersistentVolume.class, m.objects().get(2));
        assertEquals("Retain", pv.getSpec().getPersistentVolumeReclaimPolicy());
        assertInstanceOf(PersistentVolumeClaim.class, m.objects().get(3));
        assertInstanceOf(StorageClass.class, m.objects().get(4));
    }

    @Test
    void fileWithoutPodHasOnlyObjects() throws Exception {
        Manifest m = loader.load(FILE, b("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"));
        assertFalse(m.pod().isPresent());
        assertEquals(1, m.objects().size());
    }

    @Test
    void emptyFileHasNothing() throws Exception {
        Manifest m = loader.load(FILE, b("# nothing here\n"));
        assertFalse(m.pod().isPresent());
        assertTrue(m.objects().isEmpty());
    }

    @Test
    void unknownFieldsAreIgnoredLikeUpstreamsNonStrictDecoder() throws Exception {
        Pod p = pod(POD + "  notAField: 1\n");
        assertEquals("web-node-a", p.getMetadata().getName());
    }

    // ---- errors, each with its line ----

    @Test
    void yamlSyntaxErrorHasLine() {
        ManifestException e = fails("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                 bad: [
                """);
        assertEquals(FILE, e.file());
        assertEquals(5, e.line());
        assertEquals("syntax error: expected <block end>, but found '<block mapping start>' (while parsing a block"
                + " mapping that starts at line 1); check the indentation", e.reason());
        assertTrue(e.getMessage().startsWith(FILE + ":" + e.line() + ": syntax error"), e.getMessage());
    }

    @Test
    void jsonSyntaxErrorHasLine() {
        ManifestException e = fails("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {,\n}\n");
        assertEquals(4, e.line());
        assertTrue(e.reason().startsWith("syntax error: Unexpected character (','"), e.reason());
        assertFalse(e.reason().contains("Source"), e.reason());
    }

    @Test
    void tabIndentationIsASyntaxError() {
        ManifestException e = fails("apiVersion: v1\nkind: Pod\nmetadata:\n\tname: web\n");
        assertEquals(4, e.line());
        assertTrue(e.reason().contains("TAB"), e.reason());
    }

    @Test
    void unknownKindNamesTheDocumentLine() {
        ManifestException e = fails(POD + "---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: d}\n");
        assertEquals(12, e.line());
        assertTrue(e.reason().contains("unsupported kind \"CronJob\""), e.reason());
    }

    @Test
    void missingKind() {
        ManifestException e = fails("\n\napiVersion: v1\nmetadata: {name: x}\n");
        assertEquals(3, e.line());
        assertTrue(e.reason().startsWith("missing kind"), e.reason());
    }

    @Test
    void missingApiVersion() {
        ManifestException e = fails("kind: Pod\nmetadata: {name: x}\n");
        assertEquals(1, e.line());
        assertTrue(e.reason().startsWith("missing apiVersion for kind Pod"), e.reason());
    }

    @Test
    void wrongApiVersion() {
        assertTrue(fails("apiVersion: apps/v1\nkind: Pod\nmetadata: {name: x}\n").reason()
                .contains("unsupported apiVersion \"apps/v1\" for kind Pod (want v1)"));
        assertTrue(fails("apiVersion: v1\nkind: StorageClass\nmetadata: {name: x}\n").reason()
                .contains("(want storage.k8s.io/v1)"));
    }

    @Test
    void twoPodsInOneFile() {
        ManifestException e = fails(POD + "---\n" + POD.replace("name: web", "name: web2"));
        assertEquals(12, e.line());
        assertTrue(e.reason().contains("at most one Pod"), e.reason());
    }

    @Test
    void typeErrorHasFieldLineAndPath() {
        ManifestException e = fails("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                spec:
                  containers: 5
                """);
        assertEquals(6, e.line());
        assertEquals("spec.containers: expected a list, got an integer", e.reason());
    }

    @Test
    void stringWhereIntegerIsExpectedIsATypeError() {
        ManifestException e = fails(POD + "    ports:\n    - containerPort: \"80\"\n");
        assertEquals(12, e.line());
        assertEquals("spec.containers[0].ports[0].containerPort: expected an integer, got a string", e.reason());
    }

    @Test
    void numberWhereStringIsExpectedIsATypeError() {
        ManifestException e = fails(POD.replace("app: web", "version: 1.0"));
        assertEquals(6, e.line());
        assertTrue(e.reason().startsWith("metadata.labels"), e.reason());
        assertTrue(e.reason().endsWith("expected a string, got a number"), e.reason());
    }

    @Test
    void topLevelScalarIsRejected() {
        ManifestException e = fails("just a string\n");
        assertEquals(1, e.line());
        assertTrue(e.reason().startsWith("expected an object"), e.reason());
    }

    @Test
    void podWithoutName() {
        ManifestException e = fails("apiVersion: v1\nkind: Pod\nmetadata: {}\nspec:\n  containers: [{name: a, image: b}]\n");
        assertEquals(1, e.line());
        assertTrue(e.reason().startsWith("metadata.name: Required value"), e.reason());
    }

    @Test
    void validationErrorsAreJoinedWithThePodLine() {
        ManifestException e = fails("---\n" + POD.replace("name: nginx", "name: Nginx").replace("image: nginx:1.25",
                "image: \"\""));
        assertEquals(2, e.line());
        assertTrue(e.reason().startsWith("invalid pod: spec.containers[0].name: Invalid value: \"Nginx\": "),
                e.reason());
        assertTrue(e.reason().contains("; spec.containers[0].image: Required value"), e.reason());
    }

    // ---- static pod semantics ----

    @Test
    void staticPodNamingNamespaceNodeAndAnnotations() throws Exception {
        Pod p = pod(POD);
        assertEquals("web-node-a", p.getMetadata().getName());
        assertEquals("default", p.getMetadata().getNamespace());
        assertEquals("Node-A", p.getSpec().getNodeName());
        String uid = p.getMetadata().getUid();
        assertTrue(uid.matches("[0-9a-f]{32}"), uid);
        assertEquals("file", p.getMetadata().getAnnotations().get("kubernetes.io/config.source"));
        assertEquals(uid, p.getMetadata().getAnnotations().get("kubernetes.io/config.hash"));
        assertEquals("2024-05-01T10:00:00.1234Z", p.getMetadata().getAnnotations().get("kubernetes.io/config.seen"));
        assertFalse(p.getMetadata().getAnnotations().containsKey("kubernetes.io/config.mirror"));
        assertEquals("Pending", p.getStatus().getPhase());
    }

    @Test
    void mirrorAnnotationFromTheFileIsDropped() throws Exception {
        Pod p = pod(POD.replace("  labels:", "  annotations:\n    kubernetes.io/config.mirror: x\n  labels:"));
        assertFalse(p.getMetadata().getAnnotations().containsKey("kubernetes.io/config.mirror"));
    }

    @Test
    void explicitNamespaceAndNodeNameAreKept() throws Exception {
        Pod p = pod(POD.replace("  name: web", "  name: web\n  namespace: kube-system").replace("spec:",
                "spec:\n  nodeName: other"));
        assertEquals("kube-system", p.getMetadata().getNamespace());
        assertEquals("other", p.getSpec().getNodeName());
    }

    @Test
    void staticPodTolerationIsAddedOnce() throws Exception {
        Pod p = pod(POD + "  tolerations:\n  - {operator: Exists, effect: NoExecute}\n  - {key: k, operator: Exists}\n");
        List<Toleration> t = p.getSpec().getTolerations();
        assertEquals(2, t.size());
        assertEquals(1, t.stream().filter(x -> "Exists".equals(x.getOperator()) && "NoExecute".equals(x.getEffect())
                && x.getKey() == null).count());
        Pod plain = pod(POD);
        assertEquals(List.of(new Toleration("NoExecute", null, "Exists", null, null)), plain.getSpec().getTolerations());
    }

    @Test
    void uidIsStableForSameContentNodeAndFile() throws Exception {
        Pod a = pod(POD);
        Pod b = new StaticPodLoader("Node-A", fixed("2030-01-01T00:00:00Z")).load(FILE, b(POD)).pod().orElseThrow();
        assertEquals(a.getMetadata().getUid(), b.getMetadata().getUid());
        // config.seen differs but does not feed the hash
        assertNotEquals(a.getMetadata().getAnnotations().get("kubernetes.io/config.seen"),
                b.getMetadata().getAnnotations().get("kubernetes.io/config.seen"));
        assertEquals(a.getMetadata().getAnnotations().get("kubernetes.io/config.hash"),
                b.getMetadata().getAnnotations().get("kubernetes.io/config.hash"));
    }

    @Test
    void uidChangesWithContentFileAndNode() throws Exception {
        String uid = pod(POD).getMetadata().getUid();
        assertNotEquals(uid, pod(POD.replace("nginx:1.25", "nginx:1.26")).getMetadata().getUid());
        assertNotEquals(uid, loader.load(Path.of("/etc/kubernetes/manifests/other.yaml"), b(POD)).pod().orElseThrow()
                .getMetadata().getUid());
        assertNotEquals(uid, new StaticPodLoader("node-b").load(FILE, b(POD)).pod().orElseThrow()
                .getMetadata().getUid());
    }

    @Test
    void uidIgnoresFormattingButNotMeaning() throws Exception {
        String json = """
                {"kind": "Pod", "apiVersion": "v1", "metadata": {"labels": {"app": "web"}, "name": "web"},
                 "spec": {"containers": [{"image": "nginx:1.25", "name": "nginx"}]}}""";
        assertEquals(pod(POD).getMetadata().getUid(), pod(json).getMetadata().getUid());
    }

    @Test
    void explicitUidIsKept() throws Exception {
        Pod p = pod(POD.replace("  name: web", "  name: web\n  uid: \"1234\""));
        assertEquals("1234", p.getMetadata().getUid());
        assertEquals("1234", p.getMetadata().getAnnotations().get("kubernetes.io/config.hash"));
    }

    @Test
    void seenIsRfc3339NanoWithoutTrailingZeros() {
        assertEquals("2024-05-01T10:00:00Z", StaticPodLoader.rfc3339Nano(Instant.parse("2024-05-01T10:00:00Z")));
        assertEquals("2024-05-01T10:00:00.000000001Z",
                StaticPodLoader.rfc3339Nano(Instant.parse("2024-05-01T10:00:00.000000001Z")));
        assertEquals("2024-05-01T10:00:00.5Z", StaticPodLoader.rfc3339Nano(Instant.parse("2024-05-01T10:00:00.5Z")));
    }

    @Test
    void finalNameLongerThan253IsRejected() {
        String name = "a".repeat(250);
        ManifestException e = fails(POD.replace("name: web", "name: " + name));
        assertTrue(e.reason().contains("metadata.name: Invalid value: \"" + name + "-node-a\": must be no more than"
                + " 253 characters"), e.reason());
    }

    @Test
    void messageWithoutLine() {
        assertEquals(FILE + ": gone", new ManifestException(FILE, 0, "gone").getMessage());
        assertEquals(FILE + ":3: bad", new ManifestException(FILE, 3, "bad").getMessage());
    }
}
