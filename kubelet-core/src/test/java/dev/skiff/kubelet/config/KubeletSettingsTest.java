package dev.skiff.kubelet.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.skiff.kubelet.config.KubeletFlagsTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KubeletSettingsTest {
    private static final HostFacts HOST = new HostFacts("Build-01.Example.COM", "linux", "amd64");

    @TempDir
    Path dir;

    private static KubeletSettings resolve(KubeletConfiguration file, String... args) throws ConfigException {
        return KubeletSettings.resolve(parse(args), Optional.ofNullable(file), HOST);
    }

    private static ConfigException invalid(KubeletConfiguration file, String... args) {
        return assertThrows(ConfigException.class, () -> resolve(file, args));
    }

    @Test
    void noFileNoFlagsGivesDefaultsAndTheHostsIdentity() throws Exception {
        KubeletSettings s = resolve(null);
        assertEquals(KubeletConfiguration.defaults(), s.config());
        assertEquals(Optional.empty(), s.configFile());
        assertEquals(Optional.empty(), s.staticPodPath());
        assertEquals(Path.of("/var/lib/kubelet"), s.rootDir());
        assertEquals(Path.of("/var/lib/kubelet/pki"), s.certDir());
        assertEquals(Optional.empty(), s.tokenAuthFile());
        assertEquals("build-01.example.com", s.nodeName());
        assertEquals(Map.of(
                "kubernetes.io/hostname", "build-01.example.com",
                "kubernetes.io/os", "linux",
                "kubernetes.io/arch", "amd64",
                "beta.kubernetes.io/os", "linux",
                "beta.kubernetes.io/arch", "amd64"), s.nodeLabels());
        assertEquals(new RuntimeEndpoint.InProcessDocker("unix:///var/run/docker.sock"), s.runtimeEndpoint());
        assertEquals(List.of(), s.nodeIPs());
        assertEquals(Optional.empty(), s.podInfraContainerImage());
        assertEquals(0, s.verbosity());
    }

    @Test
    void flagsOverrideTheFileOnlyWhenGiven() throws Exception {
        KubeletConfiguration file = KubeletConfiguration.defaults().toBuilder()
                .staticPodPath("/etc/kubernetes/manifests")
                .maxPods(50)
                .syncFrequency(Duration.ofSeconds(30))
                .clusterDNS(List.of("10.96.0.10"))
                .readOnlyPort(0)
                .serializeImagePulls(false)
                .build();
        KubeletSettings s = resolve(file, "--max-pods=20", "--cluster-domain=cluster.local");
        assertEquals(20, s.config().maxPods(), "given flag wins");
        assertEquals("cluster.local", s.config().clusterDomain(), "given flag wins over the default");
        assertEquals(Duration.ofSeconds(30), s.config().syncFrequency(), "file value kept");
        assertEquals(List.of("10.96.0.10"), s.config().clusterDNS(), "file value kept");
        assertEquals(0, s.config().readOnlyPort(), "file value kept");
        assertEquals(false, s.config().serializeImagePulls(), "file value kept");
        assertEquals(Optional.of(Path.of("/etc/kubernetes/manifests")), s.staticPodPath());

        KubeletSettings all = resolve(file, "--pod-manifest-path=/srv/manifests", "--sync-frequency=10s",
                "--cluster-dns=10.0.0.53", "--read-only-port=10255", "--serialize-image-pulls");
        assertEquals("/srv/manifests", all.config().staticPodPath());
        assertEquals(Duration.ofSeconds(10), all.config().syncFrequency());
        assertEquals(List.of("10.0.0.53"), all.config().clusterDNS());
        assertEquals(10255, all.config().readOnlyPort());
        assertEquals(true, all.config().serializeImagePulls());
        assertEquals(50, all.config().maxPods(), "file value kept");
    }

    @Test
    void everyOverlappingFlagReachesTheMergedConfig() throws Exception {
        KubeletConfiguration c = resolve(KubeletConfiguration.defaults(),
                "--file-check-frequency=7s", "--address=10.1.1.1", "--port=11250", "--healthz-port=11248",
                "--healthz-bind-address=0.0.0.0", "--resolv-conf=/run/resolv.conf", "--cgroup-driver=systemd",
                "--container-log-max-size=1Gi", "--container-log-max-files=9", "--image-gc-high-threshold=95",
                "--image-gc-low-threshold=50", "--minimum-image-ttl-duration=1h", "--pod-max-pids=512",
                "--container-runtime-endpoint=unix:///run/containerd/containerd.sock").config();
        assertEquals(KubeletConfiguration.defaults().toBuilder()
                .fileCheckFrequency(Duration.ofSeconds(7)).address("10.1.1.1").port(11250).healthzPort(11248)
                .healthzBindAddress("0.0.0.0").resolvConf("/run/resolv.conf").cgroupDriver("systemd")
                .containerLogMaxSize(Quantity.parse("1Gi")).containerLogMaxFiles(9).imageGCHighThresholdPercent(95)
                .imageGCLowThresholdPercent(50).imageMinimumGCAge(Duration.ofHours(1)).podPidsLimit(512)
                .containerRuntimeEndpoint("unix:///run/containerd/containerd.sock").build(), c);
    }

    @Test
    void clusterDnsDefaultsToTheEmbeddedServerInClusterLocal() throws Exception {
        KubeletSettings s = resolve(null);
        assertTrue(s.embeddedDns());
        assertEquals("cluster.local", s.config().clusterDomain());
        assertEquals(List.of(), s.config().clusterDNS(), "unset: the embedded server's address is found at start");
        assertFalse(resolve(null, "--embedded-dns=false").embeddedDns());
        assertTrue(resolve(null, "--embedded-dns").embeddedDns());
    }

    @Test
    void manifestMaxSizeIsSkiffsOwnFlagWithEtcdsLimitAsDefault() throws Exception {
        assertEquals(1536L * 1024, resolve(null).manifestMaxBytes());
        assertEquals(3L << 20, resolve(null, "--manifest-max-size=3Mi").manifestMaxBytes());
        for (String bad : List.of("0", "-1Ki", "65Mi")) {
            ConfigException e = assertThrows(ConfigException.class, () -> resolve(null, "--manifest-max-size=" + bad));
            assertTrue(e.getMessage().contains("--manifest-max-size " + bad + " must be greater than 0 and at most 64Mi"),
                    e.getMessage());
        }
    }

    @Test
    void relativeFlagPathsAreTakenFromTheWorkingDirectory() throws Exception {
        KubeletSettings s = resolve(null, "--pod-manifest-path=manifests", "--root-dir=state");
        Path cwd = Path.of("").toAbsolutePath();
        assertEquals(cwd.resolve("manifests").toString(), s.config().staticPodPath());
        assertEquals(cwd.resolve("state"), s.rootDir());
        assertEquals(cwd.resolve("state/pki"), s.certDir());
    }

    @Test
    void secureServingFlagsOverrideTheConfiguration() throws Exception {
        KubeletSettings s = resolve(null, "--tls-cert-file=tls/kubelet.crt", "--tls-private-key-file=/k/kubelet.key",
                "--client-ca-file=/k/ca.crt", "--anonymous-auth", "--authorization-mode=AlwaysAllow",
                "--token-auth-file=tokens.csv", "--authorization-policy-file=/k/policy.yaml", "--cert-dir=/k/pki");
        Path cwd = Path.of("").toAbsolutePath();
        assertEquals(cwd.resolve("tls/kubelet.crt").toString(), s.config().tlsCertFile());
        assertEquals("/k/kubelet.key", s.config().tlsPrivateKeyFile());
        assertEquals("/k/ca.crt", s.config().clientCAFile());
        assertTrue(s.config().anonymousAuth());
        assertEquals("AlwaysAllow", s.config().authorizationMode());
        assertEquals(Optional.of(cwd.resolve("tokens.csv")), s.tokenAuthFile());
        assertEquals(Optional.of(Path.of("/k/policy.yaml")), s.authorizationPolicyFile());
        assertEquals(Path.of("/k/pki"), s.certDir());
    }

    @Test
    void loadReadsTheConfigFileNamedByTheFlag() throws Exception {
        Path f = dir.resolve("kubelet.yaml");
        Files.writeString(f, "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                + "staticPodPath: manifests\nmaxPods: 9\nfileCheckFrequency: 3s\n");
        KubeletSettings s = KubeletSettings.load(parse("--config=" + f, "--max-pods=4"), HOST,
                new KubeletConfigurationLoader());
        assertEquals(Optional.of(f), s.configFile());
        assertEquals(Optional.of(dir.resolve("manifests")), s.staticPodPath());
        assertEquals(4, s.config().maxPods());
        assertEquals(Duration.ofSeconds(3), s.config().fileCheckFrequency());
    }

    @Test
    void loadReportsFileErrors() throws Exception {
        Path f = dir.resolve("kubelet.yaml");
        Files.writeString(f, "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPod: 3\n");
        ConfigException e = assertThrows(ConfigException.class, () -> KubeletSettings.load(parse("--config=" + f),
                HOST, new KubeletConfigurationLoader()));
        assertEquals(f + ":3: unknown field \"maxPod\" (did you mean \"maxPods\"?)", e.getMessage());
    }

    @Test
    void hostnameOverrideIsTrimmedAndLowercased() throws Exception {
        KubeletSettings s = resolve(null, "--hostname-override=  Node-A ");
        assertEquals("node-a", s.nodeName());
        assertEquals("node-a", s.nodeLabels().get("kubernetes.io/hostname"));
    }

    @Test
    void nodeLabelsAddToTheDefaultsAndMayOverrideThemAsUpstream() throws Exception {
        KubeletSettings s = resolve(null, "--node-labels=disk=ssd,kubernetes.io/hostname=alias",
                "--node-labels=topology.kubernetes.io/zone=z1");
        assertEquals("ssd", s.nodeLabels().get("disk"));
        assertEquals("z1", s.nodeLabels().get("topology.kubernetes.io/zone"));
        assertEquals("alias", s.nodeLabels().get("kubernetes.io/hostname"));
        assertEquals("build-01.example.com", s.nodeName(), "the node name does not follow the label");
        assertEquals("amd64", s.nodeLabels().get("kubernetes.io/arch"));
    }

    @Test
    void arm64HostGetsArm64Label() throws Exception {
        KubeletSettings s = KubeletSettings.resolve(parse(), Optional.empty(),
                new HostFacts("pi", "linux", HostFacts.goarch("aarch64")));
        assertEquals("arm64", s.nodeLabels().get("kubernetes.io/arch"));
        assertEquals("amd64", HostFacts.goarch("x86_64"));
        assertEquals("amd64", HostFacts.goarch("amd64"));
    }

    @Test
    void currentHostHasANameAndGoSpelling() {
        HostFacts h = HostFacts.current();
        assertTrue(!h.hostname().isBlank());
        assertEquals("linux", h.os());
        assertTrue(List.of("amd64", "arm64").contains(h.arch()), h.arch());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "'' | unix:///var/run/docker.sock | ",
            "unix:///var/run/docker.sock | unix:///var/run/docker.sock | ",
            "unix:///run/docker.sock | unix:///run/docker.sock | ",
            "unix:///run/containerd/containerd.sock | | /run/containerd/containerd.sock",
            "/run/skiff/cri.sock | | /run/skiff/cri.sock",
    })
    void runtimeEndpoint(String flag, String docker, String socket) throws Exception {
        RuntimeEndpoint e = resolve(null, "--container-runtime-endpoint=" + flag).runtimeEndpoint();
        if (docker != null) {
            assertEquals(new RuntimeEndpoint.InProcessDocker(docker), e);
        } else {
            assertEquals(new RuntimeEndpoint.RemoteCri(Path.of(socket)), e);
            assertEquals("unix://" + socket, ((RuntimeEndpoint.RemoteCri) e).endpoint());
        }
    }

    @Test
    void runtimeEndpointFromTheFileIsUsedToo() throws Exception {
        KubeletConfiguration file = KubeletConfiguration.defaults().toBuilder()
                .containerRuntimeEndpoint("unix:///run/crio/crio.sock").build();
        assertInstanceOf(RuntimeEndpoint.RemoteCri.class, resolve(file).runtimeEndpoint());
        assertInstanceOf(RuntimeEndpoint.InProcessDocker.class,
                resolve(file, "--container-runtime-endpoint=").runtimeEndpoint());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "'' | unix:///run/skiff-it/docker.sock | unix:///run/skiff-it/docker.sock",
            "unix:///var/run/docker.sock | unix:///run/skiff-it//docker.sock | unix:///run/skiff-it/docker.sock",
            "'' | tcp://127.0.0.1:2375 | tcp://127.0.0.1:2375",
            "'' | '' | unix:///var/run/docker.sock",
    })
    void dockerEndpointIsWhereTheInProcessShimFindsDocker(String runtime, String docker, String want) throws Exception {
        RuntimeEndpoint e = resolve(null, "--container-runtime-endpoint=" + runtime, "--docker-endpoint=" + docker)
                .runtimeEndpoint();
        assertEquals(new RuntimeEndpoint.InProcessDocker(want), e);
    }

    @Test
    void streamingAddressIsWhereTheInProcessShimServesStreams() throws Exception {
        assertEquals(new RuntimeEndpoint.InProcessDocker("unix:///var/run/docker.sock", "127.0.0.1:0"),
                resolve(null).runtimeEndpoint());
        assertEquals(new RuntimeEndpoint.InProcessDocker("tcp://127.0.0.1:2375", "[::1]:10010"),
                resolve(null, "--docker-endpoint=tcp://127.0.0.1:2375", "--streaming-address=[::1]:10010").runtimeEndpoint());
        ConfigException e = assertThrows(ConfigException.class, () -> resolve(null, "--streaming-address=localhost"));
        assertTrue(e.getMessage().contains("--streaming-address: streaming address \"localhost\" is not HOST:PORT"), e.getMessage());
        assertInstanceOf(RuntimeEndpoint.RemoteCri.class, resolve(null, "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
                "--streaming-address=127.0.0.1:10010").runtimeEndpoint(), "a remote runtime serves its own streams");
    }

    @Test
    void dockerEndpointDoesNotChangeARemoteRuntime() throws Exception {
        RuntimeEndpoint e = resolve(null, "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
                "--docker-endpoint=unix:///run/other/docker.sock").runtimeEndpoint();
        assertEquals(new RuntimeEndpoint.RemoteCri(Path.of("/run/containerd/containerd.sock")), e);
    }

    @ParameterizedTest
    @CsvSource({"relative/docker.sock", "unix://docker.sock", "http://127.0.0.1:2375", "tcp://127.0.0.1", "npipe:////./pipe/docker"})
    void badDockerEndpointIsAConfigErrorNamingTheFlag(String docker) {
        ConfigException e = invalid(null, "--docker-endpoint=" + docker);
        assertTrue(e.getMessage().contains("--docker-endpoint: Docker endpoint \"" + docker + "\" is not supported"),
                e.getMessage());
    }

    @Test
    void nodeIPsAndInfraImage() throws Exception {
        KubeletSettings s = resolve(null, "--node-ip=10.0.0.5, fd00::5", "--pod-infra-container-image=pause:x",
                "-v=2");
        assertEquals(List.of("10.0.0.5", "fd00::5"), s.nodeIPs());
        assertEquals(Optional.of("pause:x"), s.podInfraContainerImage());
        assertEquals(2, s.verbosity());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--port=0 | port (--port) 0 must be between 1 and 65535, inclusive",
            "--port=65536 | port (--port) 65536 must be between 1 and 65535, inclusive",
            "--read-only-port=70000 | readOnlyPort (--read-only-port) 70000 must be between 0 and 65535, inclusive",
            "--read-only-port=-1 | readOnlyPort (--read-only-port) -1 must be between 0 and 65535, inclusive",
            "--healthz-port=65536 | healthzPort (--healthz-port) 65536 must be between 0 and 65535, inclusive",
            "--max-pods=-1 | maxPods (--max-pods) -1 must not be a negative number",
            "--sync-frequency=0s | syncFrequency (--sync-frequency) 0s must be greater than 0",
            "--file-check-frequency=-5s | fileCheckFrequency (--file-check-frequency) -5s must be greater than 0",
            "--image-gc-low-threshold=85 | imageGCLowThresholdPercent (--image-gc-low-threshold) 85 must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) 85",
            "--image-gc-high-threshold=101 | imageGCHighThresholdPercent (--image-gc-high-threshold) 101 must be between 0 and 100, inclusive",
            "--minimum-image-ttl-duration=-1m | imageMinimumGCAge (--minimum-image-ttl-duration) -1m0s must not be negative",
            "--address=localhost | address (--address) \"localhost\" is not a valid IP address",
            "--healthz-bind-address=1.2.3 | healthzBindAddress (--healthz-bind-address) \"1.2.3\" is not a valid IP address",
            "--cluster-dns=10.0.0.300 | clusterDNS (--cluster-dns) entry \"10.0.0.300\" is not a valid IP address",
            "--container-log-max-files=1 | containerLogMaxFiles (--container-log-max-files) 1 must be greater than 1",
            "--container-log-max-size=0 | containerLogMaxSize (--container-log-max-size) 0 must be greater than 0",
            "--cgroup-driver=cgroups | cgroupDriver (--cgroup-driver) \"cgroups\" must be cgroupfs or systemd",
            "--hostname-override=bad_name | node name \"bad_name\" (from --hostname-override) must be a lowercase RFC 1123 subdomain",
            "--node-ip=10.0.0.1,10.0.0.2 | --node-ip: two addresses must be one IPv4 and one IPv6 (dual stack), got [10.0.0.1, 10.0.0.2]",
            "--node-ip=10.0.0.1,fd00::1,10.0.0.3 | --node-ip: at most two addresses",
            "--node-ip=node1 | --node-ip: \"node1\" is not a valid IP address",
            "--node-labels=kubernetes.io/role=master | unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [kubernetes.io/role]",
            "--node-labels=a=b c | --node-labels: invalid value \"b c\" for label \"a\"",
            "--container-runtime-endpoint=tcp://127.0.0.1:1234 | containerRuntimeEndpoint (--container-runtime-endpoint): container runtime endpoint \"tcp://127.0.0.1:1234\" is not supported",
            "-v=-1 | -v -1 must not be negative",
            "--authorization-mode=Webhook | authorization.mode (--authorization-mode) \"Webhook\" is not supported (skiff has no API server for SubjectAccessReviews): use Policy",
            "--authentication-token-webhook | authentication.webhook.enabled (--authentication-token-webhook) is not supported",
            "--tls-cert-file=/etc/skiff/serving.crt | tlsCertFile (--tls-cert-file) and tlsPrivateKeyFile (--tls-private-key-file) must be given together",
    })
    void invalidSettingsAreClearErrors(String flag, String expected) {
        ConfigException e = invalid(null, flag);
        assertTrue(e.getMessage().startsWith("invalid configuration: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void fileValuesAreValidatedToo() {
        KubeletConfiguration file = KubeletConfiguration.defaults().toBuilder()
                .podLogsDir("logs").shutdownGracePeriod(Duration.ofMillis(500)).staticPodPath("relative").build();
        ConfigException e = invalid(file);
        assertTrue(e.getMessage().contains("podLogsDir \"logs\" must be an absolute path"), e.getMessage());
        assertTrue(e.getMessage().contains("shutdownGracePeriod 500ms must be either zero or otherwise >= 1s"),
                e.getMessage());
        assertTrue(e.getMessage().contains("staticPodPath (--pod-manifest-path) \"relative\" must be an absolute path"),
                e.getMessage());
        assertTrue(invalid(KubeletConfiguration.defaults().toBuilder().podLogsDir("/var/log/pods/").build())
                .getMessage().contains("must be normalized"));
    }

    @Test
    void allProblemsAreReportedAtOnce() {
        ConfigException e = invalid(null, "--port=0", "--max-pods=-3", "--hostname-override=Bad_Name");
        String m = e.getMessage();
        assertTrue(m.contains("port (--port) 0") && m.contains("maxPods (--max-pods) -3")
                && m.contains("node name \"bad_name\""), m);
    }

    @Test
    void emptyHostNameNeedsAnOverride() throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
                () -> KubeletSettings.resolve(parse(), Optional.empty(), new HostFacts(" ", "linux", "amd64")));
        assertTrue(e.getMessage().contains("set --hostname-override"), e.getMessage());
        assertEquals("n1", KubeletSettings.resolve(parse("--hostname-override=N1"), Optional.empty(),
                new HostFacts("", "linux", "amd64")).nodeName());
    }
}
