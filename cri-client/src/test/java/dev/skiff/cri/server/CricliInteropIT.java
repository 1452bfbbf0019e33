package dev.skiff.cri.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.cri.testing.Cli;
import dev.skiff.cri.testing.TestImages;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The scenarios of {@link CriCliScenarios}, and more of crictl's commands, driven by cricli
 * ({@code src/test/python/cricli.py}): a crictl-like client written for the tests from the CRI protocol's
 * description, sharing no code with Skiff. Its messages are compiled here from the CRI schema by Debian's protoc;
 * it calls through Debian's grpcio (Python's gRPC, a C-core implementation, not grpc-java). It always runs with
 * --debug, so every call also writes to stderr, which must never reach a parsed result.
 */
class CricliInteropIT extends CriCliScenarios {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final String PROTO_ROOT = "proto/src/main/proto";
    private static final String PROTO = "runtime/v1/api.proto";
    private static final String SCRIPT = "cri-client/src/test/python/cricli.py";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path script;
    private Path generated;

    /** Fails, not skips, without its Debian packages: hack/install-host-deps.sh installs them. */
    @Override
    Optional<String> prepareTool() throws Exception {
        Cli.Result modules = Cli.run(new ProcessBuilder(PYTHON.toString(), "-c", "import grpc, google.protobuf"),
                Duration.ofSeconds(60));
        assertEquals(0, modules.exitCode(), "cricli needs Debian's python3-grpcio and python3-protobuf for "
                + PYTHON + " (run hack/install-host-deps.sh)\n" + modules.describe());
        Path repo = repoRoot();
        script = repo.resolve(SCRIPT);
        generated = Files.createDirectories(dir.resolve("gen"));
        Cli.Result protoc = Cli.run(new ProcessBuilder("protoc", "--python_out=" + generated,
                "-I", repo.resolve(PROTO_ROOT).toString(), repo.resolve(PROTO_ROOT).resolve(PROTO).toString()),
                Duration.ofSeconds(60));
        assertEquals(0, protoc.exitCode(), "protoc (Debian's protobuf-compiler; run hack/install-host-deps.sh) "
                + "could not compile the CRI schema\n" + protoc.describe());
        return Optional.empty();
    }

    @Override
    ProcessBuilder tool(String endpoint, List<String> args) {
        ProcessBuilder pb = new ProcessBuilder(concat(List.of(PYTHON.toString(), script.toString(),
                "--runtime-endpoint", endpoint, "--image-endpoint", endpoint, "--timeout", "60s", "--debug"), args));
        pb.environment().put("PYTHONPATH", generated.toString());
        pb.environment().remove("PYTHONHOME");
        return pb;
    }

    @Test
    void debugLinesStayOnStderr() {
        Cli.Result version = call("version");
        assertTrue(version.stderr().contains("/runtime.v1.RuntimeService/Version"), version.describe());
        assertFalse(version.stdout().contains("DEBU"), version.describe());
    }

    @Test
    void logsInspectExecAndStats() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs-extras"));
        Path pod = podConfig("extras", logs);
        // a 40000-byte line: the shim writes it as 16 KiB partial (P) lines the client must join
        Path ctr = containerConfig("box", "echo out-line; echo err-line >&2; head -c 40000 /dev/zero | tr '\\0' x; "
                + "echo; exec sleep 300");
        String podId = ok("runp", pod.toString()).strip();
        String ctrId = ok("create", podId, ctr.toString(), pod.toString()).strip();
        ok("start", ctrId);

        JsonNode status = json(ok("inspect", ctrId)).path("status");
        assertEquals("CONTAINER_RUNNING", status.path("state").asText(), status.toString());
        assertEquals("box", status.path("metadata").path("name").asText(), status.toString());
        assertEquals(logs.resolve("box.0.log").toString(), status.path("logPath").asText(), status.toString());
        assertEquals(TestImages.BUSYBOX, status.path("image").path("image").asText(), status.toString());

        String longLine = "x".repeat(40000);
        Path log = logs.resolve("box.0.log");
        assertLogContains(log, "out-line");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Cli.Result read = call("logs", ctrId);
        while (!read.stdout().lines().toList().contains(longLine) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            read = call("logs", ctrId);
        }
        assertEquals(List.of("out-line", longLine), read.stdout().lines().toList(), read.describe());
        assertTrue(read.stderr().lines().anyMatch("err-line"::equals), read.describe());
        assertTrue(Files.readString(log).contains(" stdout P "), "the long line was split into partial lines");

        Cli.Result failing = call("exec", "-s", ctrId, "sh", "-c", "echo oops >&2; exit 3");
        assertEquals(3, failing.exitCode(), failing.describe());
        assertTrue(failing.stderr().contains("oops"), failing.describe());

        JsonNode sandbox = json(ok("inspectp", podId)).path("status");
        assertEquals("SANDBOX_READY", sandbox.path("state").asText(), sandbox.toString());
        assertEquals(namespace, sandbox.path("metadata").path("namespace").asText(), sandbox.toString());
        assertFalse(sandbox.path("network").path("ip").asText().isEmpty(), "the sandbox has an address: " + sandbox);

        JsonNode stats = json(ok("stats", "--id", ctrId)).path("stats");
        assertEquals(1, stats.size(), stats.toString());
        assertEquals(ctrId, stats.get(0).path("attributes").path("id").asText(), stats.toString());
        assertTrue(stats.get(0).has("cpu") && stats.get(0).has("memory"), stats.toString());

        ok("stop", "-t", "1", ctrId);
        assertEquals("CONTAINER_EXITED", json(ok("inspect", ctrId)).path("status").path("state").asText());
        ok("rm", ctrId);
        ok("stopp", podId);
        ok("rmp", podId);
        assertNotFound(call("inspectp", podId));
    }

    @Test
    void imagesByNameAndTheImageFilesystem() throws Exception {
        JsonNode image = json(ok("inspecti", TestImages.BUSYBOX)).path("image");
        assertTrue(image.path("repoTags").toString().contains(TestImages.BUSYBOX), image.toString());
        assertTrue(ok("images", "-q").contains(image.path("id").asText()), "images -q lists " + image.path("id"));

        Cli.Result absent = call("inspecti", "skiff-test/absent:404");
        assertEquals(1, absent.exitCode(), absent.describe());
        assertTrue(absent.stderr().contains("no such image"), absent.describe());

        JsonNode fs = json(ok("imagefsinfo")).path("imageFilesystems");
        assertEquals(1, fs.size(), fs.toString());
        assertFalse(fs.get(0).path("fsId").path("mountpoint").asText().isEmpty(), fs.toString());
    }

    @Test
    void unknownIdsAreNotFound() {
        String unknown = "0".repeat(64);
        assertNotFound(call("inspect", unknown));
        assertNotFound(call("inspectp", unknown));
        assertNotFound(call("start", unknown));
    }

    private static void assertNotFound(Cli.Result r) {
        assertEquals(1, r.exitCode(), r.describe());
        assertTrue(r.stderr().contains("rpc error: code = NotFound"), r.describe());
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    /** The checkout's root, found from the working dir upwards (failsafe runs in cri-client). */
    private static Path repoRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(SCRIPT)) && Files.isRegularFile(d.resolve(PROTO_ROOT).resolve(PROTO))) {
                return d;
            }
        }
        throw new IllegalStateException(SCRIPT + " not found above " + Path.of("").toAbsolutePath());
    }
}
