package dev.skiff.kubelet.nodeshutdown;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a short command with a deadline and collects its output; the process is killed when the deadline passes. */
final class Subprocess {
    /** What a finished command left behind. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }

        /** The first line of stderr (else stdout), for one-line error messages. */
        String firstErrorLine() {
            String text = stderr.isBlank() ? stdout : stderr;
            return text.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst()
                    .orElse("exit status " + exitCode);
        }
    }

    private Subprocess() {
    }

    static ProcessBuilder builder(List<String> command, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> e = pb.environment();
        e.put("SYSTEMD_PAGER", "cat");
        e.put("SYSTEMD_COLORS", "0");
        e.put("LC_ALL", "C");
        e.putAll(env);
        return pb;
    }

    static Result run(List<String> command, Map<String, String> env, Duration timeout) throws InhibitorException {
        Process p;
        try {
            p = builder(command, env).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new InhibitorException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new InhibitorException(String.join(" ", command) + " did not finish within " + timeout.toMillis()
                        + "ms");
            }
            return new Result(command, p.exitValue(), out.get(timeout.toMillis(), TimeUnit.MILLISECONDS),
                    err.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InhibitorException("interrupted while running " + command.get(0), e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | IOException e) {
            throw new InhibitorException("cannot read the output of " + command.get(0) + ": " + e, e);
        } finally {
            kill(p, Duration.ofMillis(500));
        }
    }

    /** Ends the process: SIGTERM, then SIGKILL after {@code grace}. Waits for it (bounded). */
    static void kill(Process p, Duration grace) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                f.complete(buf.toString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.completeExceptionally(new UncheckedIOException(e));
            }
        }, "node-shutdown-subprocess-output");
        t.setDaemon(true);
        t.start();
        return f;
    }
}
