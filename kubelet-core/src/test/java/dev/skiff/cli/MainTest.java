package dev.skiff.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {
    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cmd = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void unknownFlagSuggestsTheNearestOne() {
        Run r = run("cri-shim", "--docker-endpont", "unix:///x.sock");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--docker-endpont"), r.err());
        assertTrue(r.err().contains("--docker-endpoint"), r.err());
    }

    @Test
    void criShimHelpListsItsFlags() {
        Run r = run("cri-shim", "--help");
        assertEquals(0, r.code());
        for (String flag : new String[] {"--listen", "--docker-endpoint", "--pod-infra-container-image"}) {
            assertTrue(r.out().contains(flag), flag + " missing from help:\n" + r.out());
        }
    }

    @Test
    void badListenEndpointIsAClearError() {
        Run r = run("cri-shim", "--listen", "tcp://0.0.0.0:1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("use unix:///absolute/path"), r.err());
    }

    @Test
    void kubeletUnknownFlagSuggestsTheNearestOne() {
        Run r = run("--pod-manifest-pat", "/etc/kubernetes/manifests");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--pod-manifest-pat"), r.err());
        assertTrue(r.err().contains("--pod-manifest-path"), r.err());
    }

    @Test
    void kubeletHelpListsTheUpstreamFlagsAndSubcommands() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String flag : new String[] {"--pod-manifest-path", "--config", "--root-dir", "--hostname-override",
                "--node-labels", "--node-ip", "--container-runtime-endpoint", "--pod-infra-container-image",
                "--read-only-port", "cri-shim", "pods"}) {
            assertTrue(r.out().contains(flag), flag + " missing from help:\n" + r.out());
        }
    }

    @Test
    void kubeletConfigErrorsExitWithUsageCode() {
        Run r = run("--config", "/nonexistent/kubelet-config.yaml");
        assertEquals(2, r.code());
    }
}
