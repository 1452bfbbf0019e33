package dev.skiff.streamclient;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The zlib dictionary of SPDY/3 header compression (draft 3, section 2.6.10.1): common header
 * names and values, each with a 4-byte big-endian length, then a run of status texts, dates and
 * media types without lengths. 1423 bytes; both directions prime their zlib stream with it.
 */
final class SpdyDictionary {
    private static final String[] WORDS = {
            "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
            "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
            "content-base", "content-encoding", "content-language", "content-length", "content-location",
            "content-md5", "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host",
            "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified",
            "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
            "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via",
            "warning", "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url",
            "public", "set-cookie", "keep-alive", "origin"};
    private static final String TAIL = "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
            + "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
            + "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
            + "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
            + "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
            + "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

    private static final byte[] BYTES = build();

    private SpdyDictionary() {}

    static byte[] bytes() {
        return BYTES.clone();
    }

    private static byte[] build() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1423);
        for (String w : WORDS) {
            byte[] b = w.getBytes(StandardCharsets.US_ASCII);
            out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
            out.writeBytes(b);
        }
        out.writeBytes(TAIL.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
