package dev.skiff.kubelet.server.streaming;

import dev.skiff.kubelet.server.Endpoint;

import java.util.Map;

/**
 * Which streams an exec or attach session has, from upstream's query parameters ({@code input}, {@code output},
 * {@code error}, {@code tty}; only {@code 1} is true, the first value counts, as remotecommand's NewOptions reads
 * them). With a TTY there is no separate stderr: upstream drops it silently.
 */
public record StreamOptions(boolean stdin, boolean stdout, boolean stderr, boolean tty) {
    public static final String STDIN = "input";
    public static final String STDOUT = "output";
    public static final String STDERR = "error";
    public static final String TTY = "tty";
    public static final String COMMAND = "command";

    public static StreamOptions of(Map<String, String> query) throws Endpoint.BadRequestException {
        boolean tty = on(query, TTY);
        boolean stdin = on(query, STDIN);
        boolean stdout = on(query, STDOUT);
        boolean stderr = on(query, STDERR) && !tty;
        if (!stdin && !stdout && !stderr) {
            throw new Endpoint.BadRequestException("you must specify at least 1 of stdin, stdout, stderr");
        }
        return new StreamOptions(stdin, stdout, stderr, tty);
    }

    private static boolean on(Map<String, String> query, String name) {
        return "1".equals(query.get(name));
    }
}
