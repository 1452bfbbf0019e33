package dev.skiff.kubelet.server.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class SpliceTest {
    @Test
    void bytesGoAcrossBothWaysAndACloseEndsBothOnce() {
        EmbeddedChannel client = new EmbeddedChannel();
        EmbeddedChannel backend = new EmbeddedChannel();
        AtomicInteger ended = new AtomicInteger();
        Splice.join(client, backend, ended::incrementAndGet);

        client.writeInbound(Unpooled.copiedBuffer("to the runtime", StandardCharsets.US_ASCII));
        ByteBuf up = backend.readOutbound();
        assertEquals("to the runtime", up.toString(StandardCharsets.US_ASCII));
        up.release();
        backend.writeInbound(Unpooled.copiedBuffer("to the client", StandardCharsets.US_ASCII));
        ByteBuf down = client.readOutbound();
        assertEquals("to the client", down.toString(StandardCharsets.US_ASCII));
        down.release();

        backend.close();
        client.runPendingTasks();
        assertFalse(client.isActive());
        assertEquals(1, ended.get());
    }
}
