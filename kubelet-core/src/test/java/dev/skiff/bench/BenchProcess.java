package dev.skiff.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A command run to its end with a deadline, timed from start to exit, its output (stdout and stderr) kept. */
record BenchProcess(int exitCode, Duration took, String output) {
    static BenchProcess run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Path out = Files.createTempFile("skiff-bench-cmd-", ".out");
        try {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new BenchException(String.join(" ", command) + " still running after " + timeout.toSeconds() + " s");
            }
            long t1 = System.nanoTime();
            return new BenchProcess(p.exitValue(), Duration.ofNanos(t1 - t0), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** This result, or BenchException with the command's output when it did not exit 0. */
    BenchProcess requireSuccess(String what) {
        if (exitCode != 0) {
            throw new BenchException(what + " exited " + exitCode + ": " + output.strip());
        }
        return this;
    }
}
