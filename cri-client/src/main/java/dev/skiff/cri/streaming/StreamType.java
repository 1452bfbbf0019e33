package dev.skiff.cri.streaming;

import java.util.Locale;
import java.util.Optional;

/** The remote-command streams, with their SPDY {@code streamType} header values and WebSocket channel numbers. */
enum StreamType {
    STDIN("stdin", 0), STDOUT("stdout", 1), STDERR("stderr", 2), ERROR("error", 3), RESIZE("resize", 4);

    final String header;
    final int channel;

    StreamType(String header, int channel) {
        this.header = header;
        this.channel = channel;
    }

    static Optional<StreamType> ofHeader(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.toLowerCase(Locale.ROOT);
        for (StreamType t : values()) {
            if (t.header.equals(v)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    static Optional<StreamType> ofChannel(int channel) {
        for (StreamType t : values()) {
            if (t.channel == channel) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
