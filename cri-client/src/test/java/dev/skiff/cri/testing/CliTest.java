package dev.skiff.cri.testing;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** The CLI runner the CRI interop tests parse tools' output with (issue 12: crictl's stderr warning read as an id). */
class CliTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void aWarningOnStderrIsNotPartOfTheResult() {
        // what crictl 1.32 does without /etc/crictl.yaml: a warning on stderr, the pod id on stdout
        Cli.Result r = Cli.run(new ProcessBuilder("sh", "-c",
                "echo 'WARN[0000] Config \"/etc/crictl.yaml\" does not exist, trying next' >&2; echo 4f2c9a"), TIMEOUT);
        assertEquals("4f2c9a\n", r.stdoutIfOk());
        assertTrue(r.stderr().contains("crictl.yaml"), r.stderr());
    }

    @Test
    void aFailureShowsTheCommandAndBothStreams() {
        Cli.Result r = Cli.run(new ProcessBuilder("sh", "-c", "echo partial; echo 'rpc error: code = NotFound' >&2; exit 1"),
                TIMEOUT);
        assertEquals(1, r.exitCode());
        AssertionFailedError e = assertThrows(AssertionFailedError.class, r::stdoutIfOk);
        assertTrue(e.getMessage().contains("sh -c") && e.getMessage().contains("exited 1")
                && e.getMessage().contains("partial") && e.getMessage().contains("code = NotFound"), e.getMessage());
    }

    @Test
    void aToolThatHangsFailsAfterTheTimeout() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> Cli.run(new ProcessBuilder("sh", "-c", "echo stuck >&2; exec sleep 600"), Duration.ofMillis(500)));
        assertTrue(e.getMessage().contains("did not finish") && e.getMessage().contains("stuck"), e.getMessage());
    }
}
