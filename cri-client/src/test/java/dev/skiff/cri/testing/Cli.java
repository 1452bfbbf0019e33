package dev.skiff.cri.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs a command-line tool for a test and keeps its streams apart: a result is read from stdout alone, while
 * stderr (warnings such as crictl's about a missing /etc/crictl.yaml, debug lines) is kept for failure messages.
 * Both go to files, so no pipe can fill up and block the tool.
 */
public final class Cli {
    private Cli() {
    }

    /** What a finished tool left. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        /** stdout, after asserting a zero exit; a failure shows the command and both streams. */
        public String stdoutIfOk() {
            if (exitCode != 0) {
                fail(describe());
            }
            return stdout;
        }

        public String describe() {
            return String.join(" ", command) + " exited " + exitCode + "\n--- stdout ---\n" + stdout
                    + "\n--- stderr ---\n" + stderr;
        }
    }

    /** Runs {@code pb} to its end (output redirections of its own are replaced); fails the test after {@code timeout}. */
    public static Result run(ProcessBuilder pb, Duration timeout) {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("cli-", ".out");
            err = Files.createTempFile("cli-", ".err");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail(String.join(" ", pb.command()) + " did not finish within " + timeout + "\n--- stderr ---\n"
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Result(List.copyOf(pb.command()), p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", pb.command()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", pb.command()), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temp file left behind
        }
    }
}
