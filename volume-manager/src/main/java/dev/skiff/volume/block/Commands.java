package dev.skiff.volume.block;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs the few system tools (blkid, mkfs.*, losetup, mount -t nfs) as child processes: no shell, a timeout, both streams kept. */
public final class Commands {
    /** Where the tools live when the JVM's PATH lacks the sbin dirs. */
    private static final List<String> SBIN = List.of("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin");

    /** How much of a tool's output an exception message carries. */
    private static final int MAX_OUTPUT = 2000;

    private Commands() {
    }

    /** What a finished command left: its exit code and both streams. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        /** stderr, else stdout, trimmed and cut short, for an exception message. */
        public String output() {
            String out = !stderr.isBlank() ? stderr.strip() : stdout.strip();
            return out.length() <= MAX_OUTPUT ? out : out.substring(0, MAX_OUTPUT) + "…";
        }

        public String describe() {
            return "`" + String.join(" ", command) + "` exited " + exitCode
                    + (output().isEmpty() ? "" : ": " + output());
        }
    }

    /** The executable {@code name} on PATH or in the sbin dirs, if there is one. */
    public static Optional<Path> find(String name) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                if (!d.isEmpty()) {
                    dirs.add(d);
                }
            }
        }
        dirs.addAll(SBIN);
        for (String d : dirs) {
            Path p = Path.of(d, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** {@link #find} or an exception saying the tool is missing. */
    public static Path require(String name) throws BlockDeviceException {
        return find(name).orElseThrow(() -> new BlockDeviceException(name + " not found (looked on PATH and in "
                + String.join(", ", SBIN) + ")"));
    }

    /**
     * Runs {@code command} to completion, stdin closed. Any exit code is returned; a timeout kills the process and
     * throws, as does a failure to start it.
     */
    public static Result run(List<String> command, Duration timeout) throws BlockDeviceException {
        String shown = "`" + String.join(" ", command) + "`";
        Process process;
        try {
            process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new BlockDeviceException("cannot run " + shown + ": " + e.getMessage(), e);
        }
        // Both pipes drained at once so a chatty tool never blocks on a full pipe.
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                throw new BlockDeviceException(shown + " timed out after " + timeout.toSeconds() + "s and was killed"
                        + partial(err));
            }
            return new Result(List.copyOf(command), process.exitValue(), out.get(5, TimeUnit.SECONDS),
                    err.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BlockDeviceException(shown + " interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new BlockDeviceException(shown + ": cannot read its output: " + e.getMessage(), e);
        }
    }

    private static String partial(CompletableFuture<String> err) {
        String s = err.getNow("");
        return s.isBlank() ? "" : "; stderr so far: " + s.strip();
    }

    private static CompletableFuture<String> drain(InputStream in) {
        // A thread of its own: blocking reads do not belong in the common pool.
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, task -> {
            Thread t = new Thread(task, "skiff-block-cmd-output");
            t.setDaemon(true);
            t.start();
        });
    }
}
