package dev.skiff.streamclient;

import java.nio.charset.StandardCharsets;

/** Everything one finished session printed, and its status. */
public record ExecResult(byte[] stdoutBytes, byte[] stderrBytes, ExecStatus status) {
    public String stdout() {
        return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    public String stderr() {
        return new String(stderrBytes, StandardCharsets.UTF_8);
    }
}
