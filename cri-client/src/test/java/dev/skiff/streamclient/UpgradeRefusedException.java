package dev.skiff.streamclient;

import java.io.IOException;

/** The server answered the upgrade request with something other than 101 (an expired token: 404). */
public final class UpgradeRefusedException extends IOException {
    private final int status;
    private final String body;

    UpgradeRefusedException(String url, int status, String body) {
        super("upgrade of " + url + " refused with HTTP " + status + ": " + body.strip());
        this.status = status;
        this.body = body;
    }

    public int status() {
        return status;
    }

    public String body() {
        return body;
    }
}
