package dev.skiff.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EndpointsTest {
    @Test
    void acceptsUnixUrlsAndBarePaths() {
        assertEquals(Path.of("/run/skiff/cri.sock"), Endpoints.unixSocketPath("unix:///run/skiff/cri.sock"));
        assertEquals(Path.of("/tmp/x.sock"), Endpoints.unixSocketPath("/tmp/x.sock"));
    }

    @Test
    void refusesOtherSchemesAndRelativePaths() {
        assertThrows(CommandLine.TypeConversionException.class, () -> Endpoints.unixSocketPath("tcp://127.0.0.1:1"));
        assertThrows(CommandLine.TypeConversionException.class, () -> Endpoints.unixSocketPath("unix://relative.sock"));
        assertThrows(CommandLine.TypeConversionException.class, () -> Endpoints.unixSocketPath("unix://"));
    }
}
