package dev.skiff.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class TopPodsCommandTest {
    /** The first read has no CPU rate yet (upstream computes it from the previous read); the second has. */
    private static final String FIRST = """
            {"node":{"nodeName":"n1"},"pods":[
             {"podRef":{"name":"web-n1","namespace":"default","uid":"u1"},"containers":[],
              "cpu":{"time":"2026-01-01T00:00:00Z","usageCoreNanoSeconds":5},"memory":{"workingSetBytes":10485760}}]}""";
    private static final String SECOND = """
            {"node":{"nodeName":"n1"},"pods":[
             {"podRef":{"name":"web-n1","namespace":"default","uid":"u1"},"containers":[],
              "cpu":{"usageNanoCores":250000001,"usageCoreNanoSeconds":9},"memory":{"workingSetBytes":10485760}},
             {"podRef":{"name":"db-n1","namespace":"default","uid":"u2"},"containers":[],
              "cpu":{"usageNanoCores":1000},"memory":{"workingSetBytes":209715200}}]}""";

    private final List<HttpServer> servers = new ArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> queries = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        TopPodsCommand command = new TopPodsCommand();
        command.secondSampleDelay = Duration.ofMillis(10);
        CommandLine cmd = new CommandLine(command);
        StringWriter out = new StringWriter(), err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private int serve(int status, String... bodies) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/stats/summary", ex -> {
            queries.add(ex.getRequestURI().getQuery());
            String body = bodies[Math.min(requests.getAndIncrement(), bodies.length - 1)];
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(bytes);
            }
        });
        server.start();
        servers.add(server);
        return server.getAddress().getPort();
    }

    @Test
    void readsAgainForTheCpuRateAndPrintsMillicoresAndMebibytes() throws Exception {
        int port = serve(200, FIRST, SECOND);
        Run r = run("--read-only-port", String.valueOf(port));
        assertEquals(0, r.code(), r.err());
        assertEquals(2, requests.get(), "a second read for the rate");
        assertEquals(List.of("only_cpu_and_memory=true", "only_cpu_and_memory=true"), queries);
        assertEquals("""
                NAME     CPU(cores)   MEMORY(bytes)  \s
                db-n1    1m           200Mi          \s
                web-n1   251m         10Mi           \s
                """, r.out());
    }

    @Test
    void sortsByCpuOrMemory() throws Exception {
        int port = serve(200, SECOND);
        Run r = run("--read-only-port", String.valueOf(port), "--sort-by", "cpu", "--no-headers");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("web-n1"), r.out());
        assertEquals(1, requests.get(), "every pod had a rate: one read");
        Run bad = run("--read-only-port", String.valueOf(port), "--sort-by", "disk");
        assertEquals(1, bad.code());
        assertEquals("skiff top pods: --sort-by accepts only cpu or memory, not 'disk'\n", bad.err());
    }

    @Test
    void aPodStillWithoutARateIsNamedOnStderr() throws Exception {
        int port = serve(200, FIRST);
        Run r = run("--read-only-port", String.valueOf(port));
        assertEquals(0, r.code());
        assertTrue(r.err().contains("no metrics for pod default/web-n1 yet"), r.err());
    }

    @Test
    void aKubeletWithoutTheEndpointIsAClearError() throws Exception {
        int port = serve(404, "404 page not found");
        Run r = run("--read-only-port", String.valueOf(port));
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("skiff top pods: cannot read the stats summary from http://127.0.0.1:" + port
                + "/stats/summary?only_cpu_and_memory=true: HTTP 404"), r.err());
    }
}
