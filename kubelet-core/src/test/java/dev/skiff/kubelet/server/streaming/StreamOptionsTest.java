package dev.skiff.kubelet.server.streaming;

import dev.skiff.kubelet.server.Endpoint;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StreamOptionsTest {
    @Test
    void onlyOneIsTrueAndATtyHasNoSeparateStderr() throws Exception {
        assertEquals(new StreamOptions(true, true, true, false),
                StreamOptions.of(Map.of("input", "1", "output", "1", "error", "1")));
        assertEquals(new StreamOptions(false, true, false, false), StreamOptions.of(Map.of("output", "1", "error", "true")));
        assertEquals(new StreamOptions(true, true, false, true),
                StreamOptions.of(Map.of("input", "1", "output", "1", "error", "1", "tty", "1")));
    }

    @Test
    void noStreamIsUpstreamsError() {
        Endpoint.BadRequestException e = assertThrows(Endpoint.BadRequestException.class,
                () -> StreamOptions.of(Map.of("tty", "1", "error", "1", "stdin", "1")));
        assertEquals("you must specify at least 1 of stdin, stdout, stderr", e.getMessage());
    }

    @Test
    void webSocketPortForwardNamesItsPortsSpdyDoesNot() throws Exception {
        assertEquals(List.of(), PortForwardPorts.of(false, List.of()));
        assertEquals(List.of(80, 8080, 9090), PortForwardPorts.of(true, List.of("80,8080", "9090")));
        assertEquals("query parameter \"port\" is required",
                assertThrows(Endpoint.BadRequestException.class, () -> PortForwardPorts.of(true, List.of())).getMessage());
        assertEquals("query parameter \"port\" cannot be empty",
                assertThrows(Endpoint.BadRequestException.class, () -> PortForwardPorts.of(true, List.of(""))).getMessage());
        assertEquals("unable to parse \"x\" as a port: invalid syntax",
                assertThrows(Endpoint.BadRequestException.class, () -> PortForwardPorts.of(true, List.of("x"))).getMessage());
        assertEquals("unable to parse \"-1\" as a port: invalid syntax",
                assertThrows(Endpoint.BadRequestException.class, () -> PortForwardPorts.of(true, List.of("-1"))).getMessage());
        assertEquals("unable to parse \"70000\" as a port: value out of range",
                assertThrows(Endpoint.BadRequestException.class, () -> PortForwardPorts.of(true, List.of("70000"))).getMessage());
        assertEquals("port \"0\" must be > 0",
                assertThrows(Endpoint.BadRequestException.class, () -> PortForwardPorts.of(true, List.of("0"))).getMessage());
    }
}
