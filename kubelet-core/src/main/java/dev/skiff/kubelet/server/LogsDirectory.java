package dev.skiff.kubelet.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /logs/}: the node's log directory as Go's http.FileServer serves it (upstream's getLogs): a directory is an
 * HTML listing ({@code <pre>} with one link per entry, directories ending in {@code /}, sorted by name), or its
 * index.html; a file is sent with its length and Last-Modified; a directory asked without its trailing slash, or a
 * file with one, is redirected (301). Nothing outside the root is served: the path is cleaned before it gets here
 * and every target is resolved through its symlinks and must stay under the root's real path (else 404).
 */
public final class LogsDirectory implements Handler {
    public static final Path DEFAULT_ROOT = Path.of("/var/log");
    private static final int SNIFF = 512;
    private final Path root;

    public LogsDirectory(Path root) {
        this.root = root;
    }

    @Override
    public void handle(Request req, Response res) throws Exception {
        String rel = req.param("*");
        Path realRoot;
        try {
            realRoot = root.toRealPath();
        } catch (IOException e) {
            throw new Endpoint.NotFoundException("404 page not found");
        }
        Path target = realRoot.resolve(rel.isEmpty() ? "." : rel).normalize();
        Path real;
        try {
            real = target.toRealPath();
        } catch (NoSuchFileException e) {
            res.text(404, "404 page not found\n");
            return;
        } catch (AccessDeniedException e) {
            res.text(403, "403 Forbidden\n");
            return;
        }
        if (!target.startsWith(realRoot) || !real.startsWith(realRoot)) {
            res.text(404, "404 page not found\n"); // a link out of the log directory
            return;
        }
        String name = target.getFileName() == null ? "" : target.getFileName().toString();
        boolean slash = req.path().endsWith("/");
        if (Files.isDirectory(real)) {
            if (!slash) {
                redirect(res, name + "/");
                return;
            }
            Path index = real.resolve("index.html");
            if (Files.isRegularFile(index) && index.toRealPath().startsWith(realRoot)) {
                file(index, req, res);
            } else {
                listing(real, res);
            }
            return;
        }
        if (slash) {
            redirect(res, "../" + name);
            return;
        }
        if (!Files.isRegularFile(real)) {
            res.text(404, "404 page not found\n");
            return;
        }
        file(real, req, res);
    }

    private static void redirect(Response res, String location) {
        res.header("Location", location);
        res.send(301, "text/html; charset=utf-8",
                ("<a href=\"" + html(location) + "\">Moved Permanently</a>.\n\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void listing(Path dir, Response res) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                String n = e.getFileName().toString();
                names.add(Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS) ? n + "/" : n);
            }
        } catch (AccessDeniedException e) {
            res.text(403, "403 Forbidden\n");
            return;
        }
        names.sort(null);
        StringBuilder b = new StringBuilder("<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n");
        for (String n : names) {
            b.append("<a href=\"").append(html(href(n))).append("\">").append(html(n)).append("</a>\n");
        }
        b.append("</pre>\n");
        res.send(200, "text/html; charset=utf-8", b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void file(Path file, Request req, Response res) throws IOException {
        InputStream in;
        try {
            in = Files.newInputStream(file);
        } catch (AccessDeniedException e) {
            res.text(403, "403 Forbidden\n");
            return;
        }
        try (in) {
            long size = Files.size(file);
            byte[] head = in.readNBytes(SNIFF);
            res.header("Content-Length", Long.toString(size));
            res.header("Accept-Ranges", "bytes");
            res.header("Last-Modified", DateTimeFormatter.RFC_1123_DATE_TIME.format(
                    Files.getLastModifiedTime(file).toInstant().atOffset(ZoneOffset.UTC)));
            try (OutputStream out = res.stream(200, contentType(file, head))) {
                if (req.isHead()) {
                    return;
                }
                // exactly the announced length, also when the file grows meanwhile (a log being written)
                long left = size;
                int first = (int) Math.min(head.length, left);
                out.write(head, 0, first);
                left -= first;
                byte[] buf = new byte[64 * 1024];
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        throw new IOException(file + " shrank while being sent");
                    }
                    out.write(buf, 0, n);
                    left -= n;
                }
            }
        }
    }

    /** By extension for the common kinds, else sniffed as Go's DetectContentType does for logs: gzip, text, binary. */
    static String contentType(Path file, byte[] head) {
        String n = file.getFileName().toString();
        if (n.endsWith(".html") || n.endsWith(".htm")) {
            return "text/html; charset=utf-8";
        }
        if (n.endsWith(".json")) {
            return "application/json";
        }
        if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return "application/x-gzip";
        }
        for (byte b : head) {
            int c = b & 0xff;
            if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x0c && c != 0x1b) {
                return "application/octet-stream";
            }
        }
        return "text/plain; charset=utf-8";
    }

    private static String href(String name) {
        try {
            return new URI(null, null, name, null).getRawPath();
        } catch (URISyntaxException e) {
            return name;
        }
    }

    static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;").replace("'", "&#39;");
    }
}
