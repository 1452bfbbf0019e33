package dev.skiff.kubelet.server.streaming;

import dev.skiff.kubelet.server.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpgradeProxyTest {
    private static Request request(String method, List<Map.Entry<String, String>> headers) {
        return new Request(method, "/exec/ns/pod/app", Map.of(), Map.of(), name -> headers.stream()
                .filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst().orElse(null),
                Optional.empty(), () -> true, headers);
    }

    private static Map.Entry<String, String> h(String k, String v) {
        return new AbstractMap.SimpleEntry<>(k, v);
    }

    @Test
    void theRuntimeGetsItsPathAndTheClientsHeadersButNotItsCredentials() {
        Request req = request("POST", List.of(h("Host", "node:10250"), h("Authorization", "Bearer secret"),
                h("Connection", "Upgrade"), h("Upgrade", "SPDY/3.1"), h("X-Stream-Protocol-Version", "v4.channel.k8s.io"),
                h("X-Stream-Protocol-Version", "v3.channel.k8s.io"), h("Content-Length", "0")));
        String head = UpgradeProxy.head(req, URI.create("http://127.0.0.1:40123/exec/AbC-12"), 40123);
        assertEquals("POST /exec/AbC-12 HTTP/1.1\r\nHost: 127.0.0.1:40123\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                + "X-Stream-Protocol-Version: v4.channel.k8s.io\r\nX-Stream-Protocol-Version: v3.channel.k8s.io\r\n"
                + "Content-Length: 0\r\n\r\n", head);
        assertFalse(head.contains("secret"));
    }

    @Test
    void upgradeNeedsConnectionAndUpgradeHeaders() {
        assertTrue(UpgradeProxy.isUpgrade(request("GET", List.of(h("Connection", "keep-alive, Upgrade"), h("Upgrade", "websocket")))));
        assertTrue(UpgradeProxy.isWebSocket(request("GET", List.of(h("Connection", "Upgrade"), h("Upgrade", "WebSocket")))));
        assertFalse(UpgradeProxy.isWebSocket(request("GET", List.of(h("Connection", "Upgrade"), h("Upgrade", "SPDY/3.1")))));
        assertFalse(UpgradeProxy.isUpgrade(request("GET", List.of(h("Upgrade", "websocket")))));
        assertFalse(UpgradeProxy.isUpgrade(request("GET", List.of())));
    }

    @Test
    void a101KeepsTheBytesThatFollowItsHeadAndPausesReading() throws Exception {
        BackendResponse reader = new BackendResponse();
        EmbeddedChannel ch = new EmbeddedChannel(reader);
        ch.writeInbound(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"));
        assertFalse(reader.answer.isDone());
        ch.writeInbound(bytes("Connection: Upgrade\r\n\r\n\u0001\u0002frame"));
        BackendResponse.Answer a = reader.answer.get();
        assertEquals(101, a.status());
        assertEquals("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u0001\u0002frame",
                a.bytes().toString(StandardCharsets.ISO_8859_1));
        assertFalse(ch.config().isAutoRead());
        a.bytes().release();
    }

    @Test
    void aRefusalComesWithItsBody() throws Exception {
        BackendResponse reader = new BackendResponse();
        EmbeddedChannel ch = new EmbeddedChannel(reader);
        ch.writeInbound(bytes("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\nnot "));
        assertFalse(reader.answer.isDone());
        ch.writeInbound(bytes("found\n"));
        BackendResponse.Answer a = reader.answer.get();
        assertEquals(404, a.status());
        assertEquals("text/plain; charset=utf-8", a.contentType());
        assertEquals("not found\n", a.bytes().toString(StandardCharsets.UTF_8));
        a.bytes().release();
        assertFalse(ch.isActive());
    }

    @Test
    void aCloseBeforeTheAnswerOrGarbageFails() {
        BackendResponse reader = new BackendResponse();
        EmbeddedChannel ch = new EmbeddedChannel(reader);
        ch.writeInbound(bytes("HTTP/1.1 10"));
        ch.close();
        ExecutionException e = assertThrows(ExecutionException.class, reader.answer::get);
        assertEquals("the runtime's streaming server closed the connection before it answered", e.getCause().getMessage());

        BackendResponse garbage = new BackendResponse();
        new EmbeddedChannel(garbage).writeInbound(bytes("SSH-2.0-OpenSSH\r\n\r\n"));
        assertTrue(assertThrows(ExecutionException.class, garbage.answer::get).getCause().getMessage()
                .startsWith("the runtime's streaming server did not answer HTTP/1.1: SSH-2.0"));
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }
}
