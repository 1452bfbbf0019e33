package dev.skiff.streamclient;

import org.junit.jupiter.api.Test;

import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class ExecStatusTest {
    @Test
    void v4SuccessAndNonZeroExitCodeReadAsClientGoReadsThem() throws Exception {
        ExecStatus ok = ExecStatus.parse("v4.channel.k8s.io", bytes("{\"metadata\":{},\"status\":\"Success\"}"));
        assertTrue(ok.success());
        assertEquals(0, ok.exitCode());
        ExecStatus three = ExecStatus.parse("v5.channel.k8s.io", bytes("{\"metadata\":{},\"status\":\"Failure\","
                + "\"message\":\"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3\","
                + "\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]}}"));
        assertFalse(three.success());
        assertEquals(3, three.exitCode());
        assertEquals("NonZeroExitCode", three.reason());
    }

    @Test
    void otherFailuresHaveNoExitCodeAndAnEmptyStreamIsSuccess() throws Exception {
        ExecStatus f = ExecStatus.parse("v4.channel.k8s.io", bytes("{\"status\":\"Failure\",\"message\":\"container not found\"}"));
        assertNull(f.exitCode());
        assertEquals("container not found", f.message());
        assertTrue(ExecStatus.parse("v4.channel.k8s.io", new byte[0]).success());
        assertEquals("boom", ExecStatus.parse("v2.channel.k8s.io", bytes("boom")).message());
    }

    @Test
    void malformedStatusesAreProtocolErrors() {
        assertThrows(ProtocolException.class, () -> ExecStatus.parse("v4.channel.k8s.io", bytes("not json")));
        assertThrows(ProtocolException.class, () -> ExecStatus.parse("v4.channel.k8s.io",
                bytes("{\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[]}}")));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
