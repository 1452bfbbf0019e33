package dev.skiff.cli;

import picocli.CommandLine;

import java.nio.file.Path;

/** Parses the {@code unix:///path} endpoints the kubelet flags take. */
final class Endpoints {
    private Endpoints() {}

    /** picocli converter: a bad endpoint is a usage error (exit 2), reported at parse time. */
    static final class UnixSocket implements CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            return unixSocketPath(value);
        }
    }

    static Path unixSocketPath(String endpoint) {
        String path;
        if (endpoint.startsWith("unix://")) {
            path = endpoint.substring("unix://".length());
        } else if (endpoint.startsWith("/")) {
            path = endpoint;
        } else {
            throw new CommandLine.TypeConversionException(
                    "'" + endpoint + "' is not a Unix socket endpoint: use unix:///absolute/path");
        }
        if (!path.startsWith("/") || path.length() < 2) {
            throw new CommandLine.TypeConversionException(
                    "'" + endpoint + "' needs an absolute socket path: use unix:///absolute/path");
        }
        return Path.of(path);
    }
}
