package dev.skiff.streamclient;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 request on a fresh connection (plain TCP, or TLS for https) that asks for a protocol upgrade, and
 * the connection after a 101 answer. The response head is read byte by byte so not one byte
 * of the upgraded protocol is consumed by the HTTP layer.
 */
final class HttpUpgrade {
    private static final int MAX_HEAD = 64 * 1024;
    private static final int MAX_BODY = 64 * 1024;

    /** The upgraded connection: the socket, its streams, and the 101 response's headers (names lower-cased). */
    record Upgraded(Socket socket, InputStream in, OutputStream out, Map<String, List<String>> headers) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        List<String> headers(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        }
    }

    private HttpUpgrade() {}

    /**
     * Sends {@code method url} with {@code headers} and then {@code access}'s (each value its own header line) and
     * returns the connection once the server answered 101; any other answer becomes an {@link UpgradeRefusedException}.
     */
    static Upgraded open(URI url, String method, Map<String, List<String>> headers, Duration timeout, Access access) throws IOException {
        boolean https = "https".equals(url.getScheme());
        if (!https && !"http".equals(url.getScheme())) {
            throw new IllegalArgumentException("only http:// and https:// streaming URLs are supported: " + url);
        }
        if (https && access.tls() == null) {
            throw new IllegalArgumentException("an https:// URL needs a TLS context in the Access: " + url);
        }
        int port = url.getPort() != -1 ? url.getPort() : https ? 443 : 80;
        Socket socket = https ? access.tls().getSocketFactory().createSocket() : new Socket();
        try {
            socket.connect(new InetSocketAddress(url.getHost(), port), Math.toIntExact(timeout.toMillis()));
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            StringBuilder req = new StringBuilder();
            String target = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
            if (url.getRawQuery() != null) {
                target += "?" + url.getRawQuery();
            }
            req.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            req.append("Host: ").append(url.getHost()).append(':').append(port).append("\r\n");
            req.append("User-Agent: skiff-stream-client\r\n");
            headers.forEach((name, values) -> values.forEach(v -> req.append(name).append(": ").append(v).append("\r\n")));
            access.headers().forEach((name, value) -> req.append(name).append(": ").append(value).append("\r\n"));
            if (!"GET".equals(method)) {
                req.append("Content-Length: 0\r\n");
            }
            req.append("\r\n");
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();

            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            List<String> head = readHead(in, url);
            String[] statusLine = head.get(0).split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
                throw new ProtocolException("not an HTTP/1.x status line from " + url + ": " + head.get(0));
            }
            int status = Integer.parseInt(statusLine[1]);
            Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
            for (String line : head.subList(1, head.size())) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new ProtocolException("malformed header line from " + url + ": " + line);
                }
                responseHeaders.computeIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(line.substring(colon + 1).strip());
            }
            if (status != 101) {
                String body = readBody(in, responseHeaders);
                throw new UpgradeRefusedException(url.toString(), status, body);
            }
            socket.setSoTimeout(0); // from here on readers wait on their own deadlines
            return new Upgraded(socket, in, out, responseHeaders);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    private static List<String> readHead(InputStream in, URI url) throws IOException {
        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int total = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new ProtocolException("connection to " + url + " closed before the end of the response head");
            }
            if (++total > MAX_HEAD) {
                throw new ProtocolException("response head from " + url + " exceeds " + MAX_HEAD + " bytes");
            }
            if (b == '\n') {
                String s = line.toString(StandardCharsets.ISO_8859_1);
                if (s.endsWith("\r")) {
                    s = s.substring(0, s.length() - 1);
                }
                if (s.isEmpty()) {
                    if (lines.isEmpty()) {
                        throw new ProtocolException("empty response head from " + url);
                    }
                    return lines;
                }
                lines.add(s);
                line.reset();
            } else {
                line.write(b);
            }
        }
    }

    /** The body of a refusal (Content-Length, or up to the close), at most 64 KiB: enough for an error text. */
    private static String readBody(InputStream in, Map<String, List<String>> headers) {
        try {
            List<String> length = headers.get("content-length");
            int max = length == null ? MAX_BODY : Math.min(MAX_BODY, Integer.parseInt(length.get(0)));
            return new String(in.readNBytes(max), StandardCharsets.UTF_8);
        } catch (IOException | NumberFormatException e) {
            return "";
        }
    }
}
