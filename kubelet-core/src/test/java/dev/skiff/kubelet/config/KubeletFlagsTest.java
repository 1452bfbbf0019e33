package dev.skiff.kubelet.config;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KubeletFlagsTest {

    /** A tiny command using the mixin, as the skiff command will. */
    @Command(name = "kubelet-test", mixinStandardHelpOptions = true)
    static final class TestCommand implements Runnable {
        @Mixin
        KubeletFlags flags;
        boolean ran;

        @Override
        public void run() {
            ran = true;
        }
    }

    record Run(int exitCode, String out, String err, TestCommand command) {}

    static Run run(String... args) {
        TestCommand cmd = new TestCommand();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(cmd).setOverwrittenOptionsAllowed(true);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString(), cmd);
    }

    static KubeletFlags parse(String... args) {
        Run r = run(args);
        assertEquals(0, r.exitCode(), r.err());
        return r.command().flags;
    }

    @Test
    void unknownFlagIsAUsageErrorSuggestingTheNearestFlag() {
        Run r = run("--pod-manifest-pth", "/etc/kubernetes/manifests");
        assertEquals(2, r.exitCode());
        assertFalse(r.command().ran);
        // picocli also lists the value, since the command takes no positional parameters.
        assertTrue(r.err().contains("Unknown options: '--pod-manifest-pth', '/etc/kubernetes/manifests'"), r.err());
        assertTrue(r.err().contains("Possible solutions: --pod-manifest-path,"), "nearest flag first: " + r.err());
    }

    @Test
    void unknownFlagWithAttachedValueAlsoGetsASuggestion() {
        Run r = run("--hostname-overide=node1");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("Unknown option: '--hostname-overide=node1'"), r.err());
        assertTrue(r.err().contains("Possible solutions: --hostname-override"), r.err());
    }

    @Test
    void flagsNotGivenStayUnset() {
        KubeletFlags f = parse();
        assertNull(f.config);
        assertNull(f.podManifestPath);
        assertNull(f.syncFrequency);
        assertNull(f.maxPods);
        assertNull(f.readOnlyPort);
        assertNull(f.clusterDns);
        assertNull(f.serializeImagePulls);
        assertNull(f.containerRuntimeEndpoint);
        assertNull(f.dockerEndpoint);
        assertEquals(Map.of(), f.nodeLabels());
        assertEquals(0, f.verbosity());
    }

    @Test
    void parsesEveryFlagInKubeletSyntax() {
        KubeletFlags f = parse(
                "--config=/etc/skiff/kubelet.yaml",
                "--pod-manifest-path", "/etc/kubernetes/manifests",
                "--root-dir=/srv/kubelet",
                "--hostname-override=Node-1",
                "--node-labels=disk=ssd,zone=a", "--node-labels", "zone=b",
                "--node-ip=10.0.0.5,fd00::5",
                "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
                "--docker-endpoint=unix:///run/docker-2/docker.sock",
                "--pod-infra-container-image=registry.k8s.io/pause:3.10",
                "--sync-frequency=1m30s",
                "--file-check-frequency", "5s",
                "--address=127.0.0.1",
                "--port=11250",
                "--read-only-port=0",
                "--healthz-port=0",
                "--healthz-bind-address=0.0.0.0",
                "--max-pods=20",
                "--cluster-domain=cluster.local",
                "--cluster-dns=10.96.0.10,fd00::10", "--cluster-dns=10.96.0.11",
                "--resolv-conf=",
                "--cgroup-driver=systemd",
                "--container-log-max-size=20Mi",
                "--container-log-max-files=3",
                "--image-gc-high-threshold=90",
                "--image-gc-low-threshold=60",
                "--minimum-image-ttl-duration=10m",
                "--serialize-image-pulls=false",
                "--pod-max-pids=100",
                "-v=4");
        assertEquals(Path.of("/etc/skiff/kubelet.yaml"), f.configFile().orElseThrow());
        assertEquals("/etc/kubernetes/manifests", f.podManifestPath);
        assertEquals(Path.of("/srv/kubelet"), f.rootDir);
        assertEquals("Node-1", f.hostnameOverride);
        assertEquals(Map.of("disk", "ssd", "zone", "b"), f.nodeLabels());
        assertEquals("10.0.0.5,fd00::5", f.nodeIp);
        assertEquals("unix:///run/containerd/containerd.sock", f.containerRuntimeEndpoint);
        assertEquals("unix:///run/docker-2/docker.sock", f.dockerEndpoint);
        assertEquals("registry.k8s.io/pause:3.10", f.podInfraContainerImage);
        assertEquals(Duration.ofSeconds(90), f.syncFrequency);
        assertEquals(Duration.ofSeconds(5), f.fileCheckFrequency);
        assertEquals("127.0.0.1", f.address);
        assertEquals(11250, f.port);
        assertEquals(0, f.readOnlyPort);
        assertEquals(0, f.healthzPort);
        assertEquals("0.0.0.0", f.healthzBindAddress);
        assertEquals(20, f.maxPods);
        assertEquals("cluster.local", f.clusterDomain);
        assertEquals(List.of("10.96.0.10", "fd00::10", "10.96.0.11"), f.clusterDns);
        assertEquals("", f.resolvConf);
        assertEquals("systemd", f.cgroupDriver);
        assertEquals("20Mi", f.containerLogMaxSize.toString());
        assertEquals(3, f.containerLogMaxFiles);
        assertEquals(90, f.imageGcHighThreshold);
        assertEquals(60, f.imageGcLowThreshold);
        assertEquals(Duration.ofMinutes(10), f.minimumImageTtlDuration);
        assertEquals(Boolean.FALSE, f.serializeImagePulls);
        assertEquals(100L, f.podMaxPids);
        assertEquals(4, f.verbosity());
    }

    @Test
    void booleanFlagWithoutValueMeansTrue() {
        assertEquals(Boolean.TRUE, parse("--serialize-image-pulls").serializeImagePulls);
    }

    @Test
    void verbosityTakesEveryKlogSpelling() {
        assertEquals(2, parse("-v", "2").verbosity());
        assertEquals(3, parse("--v=3").verbosity());
        assertEquals(5, parse("-v=5").verbosity());
    }

    @Test
    void repeatedFlagLastWinsAsPflagWhenOverwritingIsAllowed() {
        assertEquals(7, parse("--max-pods=3", "--max-pods=7").maxPods);
    }

    @Test
    void badDurationOrQuantityIsAUsageErrorNamingTheFlag() {
        Run d = run("--sync-frequency=30");
        assertEquals(2, d.exitCode());
        assertTrue(d.err().contains("--sync-frequency"), d.err());
        assertTrue(d.err().contains("time: missing unit in duration \"30\""), d.err());
        Run q = run("--container-log-max-size=10MB");
        assertEquals(2, q.exitCode());
        assertTrue(q.err().contains("quantity \"10MB\" is not valid"), q.err());
        Run i = run("--max-pods=many");
        assertEquals(2, i.exitCode());
        assertTrue(i.err().contains("--max-pods"), i.err());
    }

    @Test
    void helpListsTheKubeletFlags() {
        Run r = run("--help");
        assertEquals(0, r.exitCode());
        for (String flag : List.of("--pod-manifest-path", "--config", "--root-dir", "--hostname-override",
                "--node-labels", "--node-ip", "--container-runtime-endpoint", "--docker-endpoint",
                "--pod-infra-container-image", "--sync-frequency", "--file-check-frequency", "--read-only-port", "--max-pods", "--cluster-dns")) {
            assertTrue(r.out().contains(flag), flag + " missing from help:\n" + r.out());
        }
    }
}
