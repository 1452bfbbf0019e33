package dev.skiff.kubelet.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogsDirectoryTest {
    @TempDir
    Path dir;
    private HttpThreads threads;
    private KubeletServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (threads != null) {
            threads.close();
        }
    }

    private HttpResponse<String> get(String method, String path) throws Exception {
        if (server == null) {
            threads = new HttpThreads();
            server = KubeletServer.start("test", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    List.of(Route.get("/logs/*", Route.Kind.DEBUGGING, new LogsDirectory(dir.resolve("log")))),
                    Optional.empty(), threads);
        }
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.address().getPort() + path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesListingsAndFilesAsGosFileServerAndNothingOutside() throws Exception {
        Path log = Files.createDirectories(dir.resolve("log"));
        Files.writeString(log.resolve("syslog"), "boot\n");
        Files.writeString(log.resolve("a <b>.log"), "x");
        Files.write(log.resolve("old.gz"), new byte[]{0x1f, (byte) 0x8b, 8, 0});
        Files.createDirectories(log.resolve("pods"));
        Files.writeString(dir.resolve("secret"), "outside");
        Files.createSymbolicLink(log.resolve("out"), dir.resolve("secret"));
        Files.createSymbolicLink(log.resolve("outdir"), dir);

        HttpResponse<String> listing = get("GET", "/logs/");
        assertEquals(200, listing.statusCode());
        assertEquals("<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n"
                + "<a href=\"a%20%3Cb%3E.log\">a &lt;b&gt;.log</a>\n<a href=\"old.gz\">old.gz</a>\n<a href=\"out\">out</a>\n"
                + "<a href=\"outdir\">outdir</a>\n<a href=\"pods/\">pods/</a>\n<a href=\"syslog\">syslog</a>\n</pre>\n", listing.body());
        HttpResponse<String> file = get("GET", "/logs/syslog");
        assertEquals("boot\n", file.body());
        assertEquals("5", file.headers().firstValue("Content-Length").orElse(""));
        assertTrue(file.headers().firstValue("Last-Modified").isPresent());
        HttpResponse<String> head = get("HEAD", "/logs/syslog");
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        assertEquals("application/x-gzip", get("GET", "/logs/old.gz").headers().firstValue("Content-Type").orElse(""));
        assertEquals(301, get("GET", "/logs/pods").statusCode());
        assertEquals("../syslog", get("GET", "/logs/syslog/").headers().firstValue("Location").orElse(""));
        assertEquals(404, get("GET", "/logs/out").statusCode());
        assertEquals(404, get("GET", "/logs/outdir/").statusCode());
        assertEquals(404, get("GET", "/logs/outdir/secret").statusCode());
        assertEquals(404, get("GET", "/logs/nope").statusCode());
        HttpResponse<String> dotdot = get("GET", "/logs/%2e%2e/secret");
        assertEquals(301, dotdot.statusCode());
        assertFalse(dotdot.body().contains("outside"));
    }
}
