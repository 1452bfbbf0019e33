package dev.skiff.kubelet.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KubeletConfigurationLoaderTest {
    private static final String HEADER = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n";

    @TempDir
    Path dir;

    private final KubeletConfigurationLoader loader = new KubeletConfigurationLoader();

    private Path write(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    private KubeletConfigurationLoader.Loaded load(String content) throws Exception {
        return loader.load(write("config.yaml", content));
    }

    private ConfigException fails(String content) throws IOException {
        Path f = write("config.yaml", content);
        return assertThrows(ConfigException.class, () -> loader.load(f));
    }

    @Test
    void defaultsMatchUpstreamExceptTheReadOnlyPort() {
        KubeletConfiguration c = KubeletConfiguration.defaults();
        assertEquals("", c.staticPodPath());
        assertEquals(Duration.ofMinutes(1), c.syncFrequency());
        assertEquals(Duration.ofSeconds(20), c.fileCheckFrequency());
        assertEquals("0.0.0.0", c.address());
        assertEquals(10250, c.port());
        assertEquals(10255, c.readOnlyPort()); // Skiff's choice: issue 3 serves /pods on 10255
        assertEquals(10248, c.healthzPort());
        assertEquals("127.0.0.1", c.healthzBindAddress());
        assertEquals(110, c.maxPods());
        assertEquals("cluster.local", c.clusterDomain());
        assertEquals(List.of(), c.clusterDNS());
        assertEquals("/var/log/pods", c.podLogsDir());
        assertEquals(10L * 1024 * 1024, c.containerLogMaxSize().longValue());
        assertEquals(5, c.containerLogMaxFiles());
        assertEquals(Duration.ZERO, c.shutdownGracePeriod());
        assertEquals(85, c.imageGCHighThresholdPercent());
        assertEquals(80, c.imageGCLowThresholdPercent());
        assertEquals(Duration.ofMinutes(2), c.imageMinimumGCAge());
        assertEquals("/etc/resolv.conf", c.resolvConf());
        assertEquals("cgroupfs", c.cgroupDriver());
        assertTrue(c.serializeImagePulls());
        assertEquals(-1, c.podPidsLimit());
        assertEquals("", c.containerRuntimeEndpoint());
        assertTrue(KubeletSettings.validate(c).isEmpty(), KubeletSettings.validate(c).toString());
    }

    @Test
    void aFileWithOnlyTypeMetaIsAllDefaults() throws Exception {
        var loaded = load(HEADER);
        assertEquals(KubeletConfiguration.defaults(), loaded.configuration());
        assertEquals(List.of(), loaded.ignoredFields());
    }

    @Test
    void decodesEverySupportedField() throws Exception {
        var loaded = load(HEADER + """
                staticPodPath: /etc/kubernetes/manifests
                syncFrequency: 1m30s
                fileCheckFrequency: 5s
                address: 192.168.1.10
                port: 11250
                readOnlyPort: 10266
                healthzPort: 10249
                healthzBindAddress: 0.0.0.0
                maxPods: 42
                clusterDomain: cluster.local
                clusterDNS:
                  - 10.96.0.10
                  - fd00::10
                podLogsDir: /srv/logs/pods
                containerLogMaxSize: 20Mi
                containerLogMaxFiles: 3
                shutdownGracePeriod: 30s
                shutdownGracePeriodCriticalPods: 10s
                imageGCHighThresholdPercent: 90
                imageGCLowThresholdPercent: 70
                imageMinimumGCAge: 5m
                resolvConf: /run/systemd/resolve/resolv.conf
                cgroupDriver: systemd
                serializeImagePulls: false
                podPidsLimit: 4096
                containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
                tlsCertFile: /etc/skiff/kubelet.crt
                tlsPrivateKeyFile: /etc/skiff/kubelet.key
                authentication:
                  x509: {clientCAFile: /etc/skiff/ca.crt}
                  anonymous: {enabled: true}
                authorization: {mode: AlwaysAllow}
                """);
        KubeletConfiguration c = loaded.configuration();
        assertEquals("/etc/kubernetes/manifests", c.staticPodPath());
        assertEquals(Duration.ofSeconds(90), c.syncFrequency());
        assertEquals(Duration.ofSeconds(5), c.fileCheckFrequency());
        assertEquals("192.168.1.10", c.address());
        assertEquals(11250, c.port());
        assertEquals(10266, c.readOnlyPort());
        assertEquals(10249, c.healthzPort());
        assertEquals("0.0.0.0", c.healthzBindAddress());
        assertEquals(42, c.maxPods());
        assertEquals("cluster.local", c.clusterDomain());
        assertEquals(List.of("10.96.0.10", "fd00::10"), c.clusterDNS());
        assertEquals("/srv/logs/pods", c.podLogsDir());
        assertEquals(20L * 1024 * 1024, c.containerLogMaxSize().longValue());
        assertEquals("20Mi", c.containerLogMaxSize().toString());
        assertEquals(3, c.containerLogMaxFiles());
        assertEquals(Duration.ofSeconds(30), c.shutdownGracePeriod());
        assertEquals(Duration.ofSeconds(10), c.shutdownGracePeriodCriticalPods());
        assertEquals(90, c.imageGCHighThresholdPercent());
        assertEquals(70, c.imageGCLowThresholdPercent());
        assertEquals(Duration.ofMinutes(5), c.imageMinimumGCAge());
        assertEquals("/run/systemd/resolve/resolv.conf", c.resolvConf());
        assertEquals("systemd", c.cgroupDriver());
        assertFalse(c.serializeImagePulls());
        assertEquals(4096, c.podPidsLimit());
        assertEquals("unix:///run/containerd/containerd.sock", c.containerRuntimeEndpoint());
        assertEquals("/etc/skiff/kubelet.crt", c.tlsCertFile());
        assertEquals("/etc/skiff/kubelet.key", c.tlsPrivateKeyFile());
        assertEquals("/etc/skiff/ca.crt", c.clientCAFile());
        assertTrue(c.anonymousAuth());
        assertEquals("AlwaysAllow", c.authorizationMode());
        assertEquals(List.of(), loaded.ignoredFields());
        assertEquals(KubeletConfigurationLoader.supportedFields().size(), 28, "a new field needs a line above");
    }

    @Test
    void readsJsonToo() throws Exception {
        var loaded = loader.load(write("config.json", """
                {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
                 "maxPods": 7, "clusterDNS": ["10.0.0.10"], "syncFrequency": "10s"}
                """));
        assertEquals(7, loaded.configuration().maxPods());
        assertEquals(List.of("10.0.0.10"), loaded.configuration().clusterDNS());
        assertEquals(Duration.ofSeconds(10), loaded.configuration().syncFrequency());
    }

    @Test
    void relativePathsAreResolvedAgainstTheFilesDirectory() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("etc/skiff"));
        Path f = sub.resolve("kubelet.yaml");
        Files.writeString(f, HEADER + "staticPodPath: manifests\nresolvConf: ../resolv.conf\n");
        KubeletConfiguration c = loader.load(f).configuration();
        assertEquals(sub.resolve("manifests").toAbsolutePath().toString(), c.staticPodPath());
        assertEquals(dir.resolve("etc/resolv.conf").toAbsolutePath().toString(), c.resolvConf());
    }

    @Test
    void anEmptyResolvConfStaysEmptyMeaningNoHostDns() throws Exception {
        assertEquals("", load(HEADER + "resolvConf: \"\"\n").configuration().resolvConf());
    }

    @Test
    void zeroValuesOfNonPointerFieldsMeanDefaultAsUpstream() throws Exception {
        KubeletConfiguration c = load(HEADER + """
                maxPods: 0
                port: 0
                syncFrequency: 0s
                address: ""
                containerLogMaxSize: ""
                readOnlyPort: 0
                healthzPort: 0
                """).configuration();
        assertEquals(110, c.maxPods());
        assertEquals(10250, c.port());
        assertEquals(Duration.ofMinutes(1), c.syncFrequency());
        assertEquals("0.0.0.0", c.address());
        assertEquals("10Mi", c.containerLogMaxSize().toString());
        assertEquals(0, c.readOnlyPort(), "an explicit 0 turns the read-only server off");
        assertEquals(0, c.healthzPort(), "an explicit 0 turns healthz off");
    }

    @Test
    void nullValuesKeepTheDefault() throws Exception {
        KubeletConfiguration c = load(HEADER + "maxPods:\nclusterDNS: null\n").configuration();
        assertEquals(110, c.maxPods());
        assertEquals(List.of(), c.clusterDNS());
    }

    @Test
    void unknownFieldNamesFieldLineAndNearestKnownField() throws IOException {
        ConfigException e = fails(HEADER + "maxPods: 10\nstaticPodPth: /etc/kubernetes/manifests\n");
        assertEquals(dir.resolve("config.yaml") + ":4: unknown field \"staticPodPth\" (did you mean \"staticPodPath\"?)",
                e.getMessage());
        assertEquals(4, e.line());
        assertEquals(dir.resolve("config.yaml"), e.file());
    }

    @ParameterizedTest
    @CsvSource({
            "syncFrequncy, syncFrequency",
            "maxpods, maxPods",
            "clusterDns, clusterDNS",
            "readOnlyPrt, readOnlyPort",
            "evictionHrad, evictionHard",
            "kindd, kind",
    })
    void suggestsTheNearestField(String typo, String suggestion) throws IOException {
        ConfigException e = fails(HEADER + typo + ": x\n");
        assertTrue(e.getMessage().endsWith("unknown field \"" + typo + "\" (did you mean \"" + suggestion + "\"?)"),
                e.getMessage());
    }

    @Test
    void unknownFieldFarFromAnyKnownOneHasNoSuggestion() throws IOException {
        ConfigException e = fails(HEADER + "flux: capacitor\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().endsWith(":3: unknown field \"flux\""), e.getMessage());
    }

    @Test
    void upstreamFieldsSkiffDoesNotImplementAreAcceptedAndReported() throws Exception {
        var loaded = load(HEADER + """
                tlsCipherSuites: [TLS_AES_128_GCM_SHA256]
                maxPods: 12
                evictionHard:
                  memory.available: 100Mi
                """);
        assertEquals(12, loaded.configuration().maxPods());
        assertEquals(List.of(new KubeletConfigurationLoader.IgnoredField("tlsCipherSuites", 3),
                new KubeletConfigurationLoader.IgnoredField("evictionHard", 5)), loaded.ignoredFields());
    }

    @Test
    void secureServingFieldsAreDecodedWithPathsRelativeToTheFile() throws Exception {
        var loaded = load(HEADER + """
                tlsCertFile: pki/serving.crt
                tlsPrivateKeyFile: /etc/skiff/serving.key
                authentication:
                  x509:
                    clientCAFile: ca.crt
                  webhook:
                    enabled: false
                    cacheTTL: 2m
                  anonymous:
                    enabled: true
                authorization:
                  mode: AlwaysAllow
                  webhook:
                    cacheAuthorizedTTL: 5m
                """);
        KubeletConfiguration c = loaded.configuration();
        assertTrue(c.tlsCertFile().endsWith("/pki/serving.crt") && Path.of(c.tlsCertFile()).isAbsolute(), c.tlsCertFile());
        assertEquals("/etc/skiff/serving.key", c.tlsPrivateKeyFile());
        assertTrue(c.clientCAFile().endsWith("/ca.crt") && Path.of(c.clientCAFile()).isAbsolute(), c.clientCAFile());
        assertTrue(c.anonymousAuth());
        assertEquals(false, c.webhookAuthentication());
        assertEquals("AlwaysAllow", c.authorizationMode());
        assertEquals(List.of(), loaded.ignoredFields());
    }

    @Test
    void secureServingDefaultsRefuseAnonymousAndUseThePolicy() {
        KubeletConfiguration c = KubeletConfiguration.defaults();
        assertEquals(10250, c.port());
        assertEquals(false, c.anonymousAuth());
        assertEquals("Policy", c.authorizationMode());
        assertEquals("", c.tlsCertFile());
    }

    @Test
    void anUnknownNestedAuthenticationFieldIsAnErrorWithAHint() throws IOException {
        ConfigException e = fails(HEADER + "authentication:\n  anonymus:\n    enabled: true\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().endsWith(":3: authentication: unknown field \"anonymus\" (did you mean \"anonymous\"?)"),
                e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "maxPods: ten | maxPods: expected an integer, got a string (\"ten\")",
            "maxPods: \"110\" | maxPods: expected an integer, got a string (\"110\")",
            "maxPods: 1.5 | maxPods: expected an integer, got a number (1.5)",
            "port: 99999999999 | port: 99999999999 does not fit in int32",
            "syncFrequency: 60 | syncFrequency: expected a duration string such as \"20s\" or \"1m30s\", got an integer (60)",
            "syncFrequency: 60x | syncFrequency: time: unknown unit \"x\" in duration \"60x\"",
            "fileCheckFrequency: 20 seconds | fileCheckFrequency: time: unknown unit \" seconds\" in duration \"20 seconds\"",
            "clusterDNS: 10.0.0.10 | clusterDNS: expected a list of strings, got a string (\"10.0.0.10\")",
            "clusterDNS: [10.0.0.10, 5] | clusterDNS[1]: expected a string, got an integer (5)",
            "serializeImagePulls: \"false\" | serializeImagePulls: expected a boolean, got a string (\"false\")",
            "containerLogMaxSize: 10 | containerLogMaxSize: expected a string, got an integer (10)",
            "clusterDomain: {a: b} | clusterDomain: expected a string, got an object",
    })
    void wrongTypesAreErrorsWithTheLine(String line, String reason) throws IOException {
        ConfigException e = fails(HEADER + "# a comment\n" + line + "\n");
        assertEquals(4, e.line(), e.getMessage());
        assertEquals(reason, e.reason());
    }

    @Test
    void badQuantityIsAnErrorWithTheLine() throws IOException {
        ConfigException e = fails(HEADER + "containerLogMaxSize: 10MB\n");
        assertEquals(3, e.line());
        assertTrue(e.reason().startsWith("containerLogMaxSize: quantity \"10MB\" is not valid"), e.reason());
    }

    @Test
    void apiVersionAndKindAreRequiredAndChecked() throws IOException {
        assertEquals("missing apiVersion (want \"kubelet.config.k8s.io/v1beta1\")",
                fails("kind: KubeletConfiguration\nmaxPods: 3\n").reason());
        assertEquals("missing kind (want \"KubeletConfiguration\")",
                fails("apiVersion: kubelet.config.k8s.io/v1beta1\nmaxPods: 3\n").reason());
        ConfigException wrongVersion = fails("kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1\n");
        assertEquals("unsupported apiVersion \"kubelet.config.k8s.io/v1\" (want \"kubelet.config.k8s.io/v1beta1\")",
                wrongVersion.reason());
        assertEquals(2, wrongVersion.line());
        ConfigException wrongKind = fails("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeProxyConfiguration\n");
        assertEquals("unsupported kind \"KubeProxyConfiguration\" (want \"KubeletConfiguration\")", wrongKind.reason());
        assertEquals(2, wrongKind.line());
        assertEquals("apiVersion: expected a string, got an integer (1)",
                fails("apiVersion: 1\nkind: KubeletConfiguration\n").reason());
    }

    @Test
    void typeMetaIsCheckedBeforeFields() throws IOException {
        assertTrue(fails("kind: Pod\napiVersion: v1\nspec: {}\n").reason().startsWith("unsupported apiVersion"));
    }

    @Test
    void emptyFileListAndMultipleDocumentsAreErrors() throws IOException {
        assertTrue(fails("").reason().startsWith("the kubelet config file is empty"));
        assertTrue(fails("# only a comment\n").reason().startsWith("the kubelet config file is empty"));
        assertEquals("expected a KubeletConfiguration object, got a list", fails("- a\n- b\n").reason());
        ConfigException two = fails(HEADER + "---\n" + HEADER);
        assertEquals("the kubelet config file must hold one document", two.reason());
    }

    @Test
    void duplicateFieldIsAnError() throws IOException {
        ConfigException e = fails(HEADER + "maxPods: 1\nmaxPods: 2\n");
        assertEquals(4, e.line());
        assertEquals("duplicate field \"maxPods\" (first on line 3)", e.reason());
    }

    @Test
    void syntaxErrorHasTheLine() throws IOException {
        ConfigException e = fails(HEADER + "maxPods: 3\nclusterDNS: [10.0.0.10\n");
        assertTrue(e.reason().startsWith("syntax error: "), e.reason());
        assertTrue(e.line() >= 4, e.getMessage());
    }

    @Test
    void missingFileNamesTheFile() {
        Path missing = dir.resolve("nope.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> loader.load(missing));
        assertTrue(e.getMessage().startsWith(missing + ": cannot read the kubelet config file"), e.getMessage());
    }
}
