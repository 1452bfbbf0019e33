package dev.skiff.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The user's terminal in raw mode for a TTY session, as kubectl puts it: no echo, no line editing, Ctrl-C and Ctrl-D
 * go to the remote terminal as bytes. It is driven with {@code stty} on the inherited stdin (no native code), and the
 * saved settings come back on {@link #close} and in a shutdown hook.
 */
final class Terminal implements AutoCloseable {
    private final String saved;
    private final Thread restoreOnExit;
    private boolean restored;

    private Terminal(String saved) {
        this.saved = saved;
        this.restoreOnExit = new Thread(this::restore, "skiff-terminal-restore");
    }

    /** Raw mode when stdin is a terminal, else empty. */
    static Optional<Terminal> raw() {
        Optional<String> saved = stty("-g");
        if (saved.isEmpty()) {
            return Optional.empty();
        }
        Terminal t = new Terminal(saved.get());
        Runtime.getRuntime().addShutdownHook(t.restoreOnExit);
        stty("raw", "-echo");
        return Optional.of(t);
    }

    /** Whether stdin is a terminal. */
    static boolean stdinIsTerminal() {
        return stty("-g").isPresent();
    }

    /** Rows and columns now, when the terminal says. */
    static Optional<int[]> size() {
        return stty("size").flatMap(s -> {
            String[] parts = s.trim().split("\\s+");
            try {
                return parts.length == 2 ? Optional.of(new int[]{Integer.parseInt(parts[0]), Integer.parseInt(parts[1])})
                        : Optional.empty();
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    /** Runs {@code r} on every SIGWINCH (window size change); false when the JVM does not let us. */
    static boolean onResize(Runnable r) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), s -> r.run());
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return false;
        }
    }

    private synchronized void restore() {
        if (!restored) {
            restored = true;
            stty(saved);
        }
    }

    @Override
    public void close() {
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreOnExit);
        } catch (IllegalStateException e) {
            // shutting down: the hook runs (or ran) anyway
        }
    }

    private static Optional<String> stty(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "stty";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            return p.waitFor() == 0 ? Optional.of(out) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
