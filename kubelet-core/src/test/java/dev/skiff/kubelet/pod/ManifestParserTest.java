package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parser's limits, encodings, YAML aliases, merge keys and tags, and what its refusals may say. */
class ManifestParserTest {
    private static final Path FILE = Path.of("/etc/kubernetes/manifests/web.yaml");
    private static final ManifestLimits LIMITS = ManifestLimits.DEFAULTS;
    private final ManifestParser parser = new ManifestParser(LIMITS);
    private final StaticPodLoader loader = new StaticPodLoader("node-a");

    private static final String POD = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
            spec:
              containers:
              - name: c
                image: busybox
            """;

    private static String configMap(String data) {
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n" + data;
    }

    private List<ManifestParser.Document> parse(String text) throws ManifestException {
        return parser.parse(FILE, text.getBytes(StandardCharsets.UTF_8));
    }

    private ManifestException refused(byte[] content) {
        return assertThrows(ManifestException.class, () -> parser.parse(FILE, content));
    }

    private ManifestException refused(String text) {
        return refused(text.getBytes(StandardCharsets.UTF_8));
    }

    private Pod pod(String text) throws ManifestException {
        return loader.load(FILE, text.getBytes(StandardCharsets.UTF_8)).pod().orElseThrow();
    }

    private ManifestException invalid(String text) {
        return assertThrows(ManifestException.class, () -> loader.load(FILE, text.getBytes(StandardCharsets.UTF_8)));
    }

    // ---- size and shape limits ----

    @Test
    void fileOverTheLimitIsRefusedWithBothSizes() {
        ManifestParser small = new ManifestParser(ManifestLimits.withMaxBytes(1024));
        byte[] big = configMap("  a: " + "x".repeat(2000) + "\n").getBytes(StandardCharsets.UTF_8);
        ManifestException e = assertThrows(ManifestException.class, () -> small.parse(FILE, big));
        assertTrue(e.reason().contains(big.length + " bytes") && e.reason().contains("1024 bytes (1 KiB)"), e.reason());
    }

    @Test
    void longYamlLineIsRefusedWithItsLineButTheSameValueFitsABlockScalarOrJson() throws Exception {
        String value = "x".repeat(LIMITS.maxLineLength() + 1);
        ManifestException e = refused(configMap("  ok: fine\n  big: " + value + "\n"));
        assertEquals(7, e.line(), e.getMessage());
        assertTrue(e.reason().contains("line longer than " + LIMITS.maxLineLength()), e.reason());
        assertFalse(e.getMessage().contains("xxxx"), "the value is quoted: " + e.getMessage());

        StringBuilder block = new StringBuilder("  big: |\n");
        for (int i = 0; i < 20; i++) {
            block.append("    ").append("y".repeat(LIMITS.maxLineLength() / 16)).append('\n');
        }
        ConfigMap cm = (ConfigMap) parse(configMap(block.toString())).get(0).object();
        assertEquals(20 * (LIMITS.maxLineLength() / 16 + 1), cm.getData().get("big").length());

        String json = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"cm\"}, \"data\": {\"big\": \""
                + value + "\"}}";
        assertEquals(value, ((ConfigMap) parse(json).get(0).object()).getData().get("big"));
    }

    @Test
    void lineAtTheLimitIsAccepted() throws Exception {
        String prefix = "  big: ";
        String value = "z".repeat(LIMITS.maxLineLength() - prefix.length());
        ConfigMap cm = (ConfigMap) parse(configMap(prefix + value + "\n")).get(0).object();
        assertEquals(value, cm.getData().get("big"));
    }

    @Test
    void nestingBeyondTheLimitIsRefused() throws Exception {
        int depth = LIMITS.maxDepth();
        // metadata and annotations-like unknown fields take 1 level (the document) + the list levels
        String ok = POD + "x: " + "[".repeat(depth - 1) + "1" + "]".repeat(depth - 1) + "\n";
        assertEquals(1, parse(ok).size());
        ManifestException e = refused(POD + "x: " + "[".repeat(depth) + "1" + "]".repeat(depth) + "\n");
        assertEquals(9, e.line());
        assertTrue(e.reason().contains("nested more than " + depth), e.reason());
        // and a million is no stack overflow
        ManifestException deep = refused("x: " + "[".repeat(100_000) + "\n");
        assertTrue(deep.reason().contains("nested more than"), deep.reason());
    }

    @Test
    void tooManyValuesAreRefused() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < LIMITS.maxNodes(); i++) {
            b.append("  k").append(i).append(": v\n");
        }
        ManifestException e = refused(configMap(b.toString()));
        assertTrue(e.reason().contains("more than " + LIMITS.maxNodes() + " values"), e.reason());
        // empty documents count too: a file of separators is bounded as well
        ManifestException docs = refused("---\n".repeat(LIMITS.maxNodes() + 1));
        assertTrue(docs.reason().contains("values"), docs.reason());
    }

    // ---- aliases, merge keys, tags ----

    @Test
    void aliasesAreResolvedAsGoYamlDoesAndMergeKeysApply() throws Exception {
        Pod p = pod("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                spec:
                  containers:
                  - &base
                    name: a
                    image: busybox
                    env: &env
                    - {name: A, value: "1"}
                  - <<: *base
                    name: b
                  - name: c
                    image: busybox
                    env: *env
                """);
        assertEquals("b", p.getSpec().getContainers().get(1).getName());
        assertEquals("busybox", p.getSpec().getContainers().get(1).getImage());
        assertEquals("1", p.getSpec().getContainers().get(1).getEnv().get(0).getValue());
        assertEquals("A", p.getSpec().getContainers().get(2).getEnv().get(0).getName());
    }

    @Test
    void billionLaughsIsRefusedByTheExpansionLimit() {
        StringBuilder b = new StringBuilder(configMap("  a: x\n")).append("lol0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++) {
            b.append("lol").append(i).append(": &l").append(i).append(" [");
            for (int j = 0; j < 10; j++) {
                b.append(j == 0 ? "" : ", ").append("*l").append(i - 1);
            }
            b.append("]\n");
        }
        ManifestException e = refused(b.toString());
        assertTrue(e.reason().contains("expand the document by more than " + LIMITS.maxAliasExpansion()), e.reason());
    }

    @Test
    void tooManyAliasesUndefinedAndRecursiveAliasesAreRefused() {
        StringBuilder b = new StringBuilder(configMap("  a: &v x\n")).append("refs:\n");
        for (int i = 0; i <= LIMITS.maxAliases(); i++) {
            b.append("- *v\n");
        }
        assertTrue(refused(b.toString()).reason().contains("more than " + LIMITS.maxAliases() + " aliases"));
        assertTrue(refused(configMap("  a: *nowhere\n")).reason().contains("names no anchor"));
        assertTrue(refused(configMap("  a: x\nloop: &l [*l]\n")).reason().contains("names no anchor"));
    }

    @Test
    void onlyCoreTagsAreAllowed() throws Exception {
        ConfigMap cm = (ConfigMap) parse(configMap("  a: !!str 5\n")).get(0).object();
        assertEquals("5", cm.getData().get("a"));
        for (String tagged : List.of("  a: !!java/object:java.net.URL [\"http://x\"]\n",
                "  a: !!binary aGVsbG8=\n", "  a: !custom x\n", "  a: !<tag:example.com,2000:x> y\n")) {
            ManifestException e = refused(configMap(tagged));
            assertEquals(6, e.line(), e.getMessage());
            assertTrue(e.reason().startsWith("unsupported YAML tag"), e.reason());
        }
        String named = refused(configMap("  a: !!java/object:java.net.URL [\"x\"]\n")).reason();
        assertTrue(named.contains("\"!!java/object\"") && !named.contains("URL"), named);
    }

    // ---- encodings ----

    @Test
    void byteOrderMarksChooseTheEncodingAsGoYamlDoes() throws Exception {
        byte[] utf8 = ("\uFEFF" + POD).getBytes(StandardCharsets.UTF_8);
        assertEquals("web", parser.parse(FILE, utf8).get(0).object().getMetadata().getName());
        for (var cs : List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE)) {
            byte[] utf16 = ("\uFEFF" + POD.replace("busybox", "bü")).getBytes(cs);
            Pod p = (Pod) parser.parse(FILE, utf16).get(0).object();
            assertEquals("bü", p.getSpec().getContainers().get(0).getImage());
        }
        byte[] jsonWithBom = ("\uFEFF{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"j\"}}")
                .getBytes(StandardCharsets.UTF_16LE);
        assertEquals("j", parser.parse(FILE, jsonWithBom).get(0).object().getMetadata().getName());
    }

    @Test
    void binaryAndBadlyEncodedFilesGetAReasonWithTheirLine() {
        ManifestException noBom = refused(POD.getBytes(StandardCharsets.UTF_16LE));
        assertTrue(noBom.reason().contains("binary content") && noBom.reason().contains("byte order mark"),
                noBom.reason());
        ManifestException nul = refused(POD.replace("image: busybox", "image: busy\0box"));
        assertEquals(8, nul.line());
        ManifestException control = refused(POD.replace("web", "w\u0007eb"));
        assertEquals(4, control.line());
        assertTrue(control.reason().contains("control character U+0007"), control.reason());
        byte[] latin1 = POD.replace("busybox", "büsybox").getBytes(StandardCharsets.ISO_8859_1);
        ManifestException bad = refused(latin1);
        assertEquals(8, bad.line());
        assertTrue(bad.reason().contains("invalid UTF-8"), bad.reason());
        byte[] badUtf16 = {(byte) 0xFF, (byte) 0xFE, 0x00, (byte) 0xD8, 0x61, 0x00};
        assertTrue(refused(badUtf16).reason().contains("not valid UTF-16"));
    }

    // ---- numbers ----

    @Test
    void numbersOutOfRangeOrFractionalAreRefusedWithTheirField() {
        ManifestException port = invalid(POD + "    ports:\n    - containerPort: 99999999999\n");
        assertEquals(10, port.line(), port.getMessage());
        assertTrue(port.reason().startsWith("spec.containers[0].ports[0].containerPort: out of range"), port.reason());
        for (String v : List.of("1e400", "2.5", ".inf", "123456789012345678901234567890")) {
            ManifestException e = invalid(POD.replace("spec:\n", "spec:\n  terminationGracePeriodSeconds: " + v + "\n"));
            assertEquals(6, e.line(), v + ": " + e.getMessage());
            assertTrue(e.reason().startsWith("spec.terminationGracePeriodSeconds:"), v + ": " + e.reason());
        }
        ManifestException longNumber = invalid(POD.replace("spec:\n", "spec:\n  terminationGracePeriodSeconds: "
                + "9".repeat(5000) + "\n"));
        assertEquals(6, longNumber.line(), longNumber.getMessage());
    }

    // ---- identity fields that become paths ----

    @Test
    void identityFieldsThatWouldClimbOutOfTheirDirectoryAreRefused() {
        assertTrue(invalid(POD.replace("name: web", "name: web\n  uid: ../../etc")).reason()
                .contains("metadata.uid: Invalid value: \"../../etc\""));
        assertTrue(invalid(POD.replace("name: web", "name: web\n  uid: a/b")).reason().contains("metadata.uid"));
        assertTrue(invalid(POD.replace("name: web", "name: web\n  uid: \"" + "a".repeat(129) + "\"")).reason()
                .contains("no more than 128"));
        assertTrue(invalid(POD.replace("name: web", "name: ../web")).reason().contains("metadata.name"));
        assertTrue(invalid(POD.replace("name: web", "name: web\n  namespace: ../kube-system")).reason()
                .contains("metadata.namespace"));
        assertTrue(invalid(POD.replace("name: c", "name: ../c")).reason().contains("spec.containers[0].name"));
        assertTrue(invalid(configMap("  a: b\n").replace("name: cm", "name: ../cm")).reason()
                .contains("invalid ConfigMap: metadata.name"));
        assertTrue(invalid("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: c\n  uid: ../x\n").reason()
                .contains("invalid PersistentVolumeClaim: metadata.uid"));
    }

    @Test
    void kindsAndVersionsAreNamedWhenTheyLookLikeOnes() {
        assertTrue(refused("apiVersion: apps/v1\nkind: CronJob\n").reason().startsWith("unsupported kind \"CronJob\" (want"));
        assertTrue(refused("apiVersion: v1beta1\nkind: Pod\n").reason().startsWith("unsupported apiVersion \"v1beta1\" for"));
        assertTrue(refused("apiVersion: v1\nkind: some value\n").reason().startsWith("unsupported kind (want"));
    }

    @Test
    void annotationsOverUpstreamsLimitAreRefused() throws Exception {
        String ok = POD.replace("  name: web\n", "  name: web\n  annotations:\n    a: \"" + "x".repeat(200_000 / 2) + "\"\n");
        assertEquals("web-node-a", pod(ok).getMetadata().getName());
        StringBuilder big = new StringBuilder("  name: web\n  annotations:\n");
        for (int i = 0; i < 3; i++) {
            big.append("    a").append(i).append(": \"").append("x".repeat(100_000)).append("\"\n");
        }
        assertTrue(invalid(POD.replace("  name: web\n", big.toString())).reason()
                .contains("metadata.annotations: Too long: may not be more than 262144 bytes"));
    }

    @Test
    void aUuidOrHashUidIsKept() throws Exception {
        String uuid = "7b2c1c0e-5d1f-4b7a-9a43-0c0d9e1f2a3b";
        assertEquals(uuid, pod(POD.replace("name: web", "name: web\n  uid: " + uuid)).getMetadata().getUid());
    }

    // ---- no content in messages ----

    @Test
    void refusalsNeverQuoteTheFile() {
        String secret = "hunter2SECRETvalue";
        List<String> files = List.of(
                secret + "\n",
                "password: " + secret + "\n",
                "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n",
                "{\"token\": " + secret + "}\n",
                "{" + secret + "}\n",
                "[" + secret + ", }\n",
                "key: [" + secret + "\n",
                "key: \"" + secret + "\\q\"\n",
                "key: \"\\x" + secret + "\"\n",
                "!" + secret + "! x\n",
                "&" + secret + " a: *" + secret + "x\n",
                "apiVersion: " + secret + "/" + "x".repeat(80) + "\nkind: Pod\n",
                "kind: " + secret + "!?\n",
                "apiVersion: v1\nkind: " + secret + "\n",
                "apiVersion: " + secret + "\nkind: Pod\n",
                "a: " + secret + "\n\tb: c\n",
                "a:\n  - b\n c: " + secret + "\n",
                "@" + secret + "\n",
                "`" + secret + "\n",
                "%YAML 1.1\n%YAML 1.1\n---\n" + secret + "\n",
                "a: b: " + secret + "\n",
                "a: " + secret + "\u0085" + secret + "\n");
        for (String f : files) {
            ManifestException e = assertThrows(ManifestException.class,
                    () -> loader.load(FILE, f.getBytes(StandardCharsets.UTF_8)), f);
            assertFalse(e.getMessage().contains(secret) || e.getMessage().contains("SECRET"),
                    "echoes the file: " + e.getMessage());
        }
    }

    @Test
    void syntaxErrorsKeepTheirLineAndAGenericReason() {
        ManifestException e = refused("apiVersion: v1\nkind: Pod\nmetadata:\n\tname: broken\n");
        assertEquals(4, e.line());
        assertTrue(e.reason().contains("\\t(TAB)"), e.reason());
        ManifestException json = refused("{\"apiVersion\": \"v1\",\n \"kind\": Pod}\n");
        assertEquals(2, json.line());
        assertTrue(json.reason().startsWith("syntax error: Unrecognized token '…'"), json.reason());
    }
}
