package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectExecResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Ends exec'd processes from the host: Docker offers no way to stop an exec. */
final class ExecProcesses {
    private static final Logger log = LoggerFactory.getLogger(ExecProcesses.class);

    private static final long PID_WAIT_NANOS = 5_000_000_000L;

    private ExecProcesses() {}

    /** Kills the exec's process and its descendants by host pid, if it still runs; {@code why} goes in the log line. */
    static void kill(DockerClient docker, String execId, String containerId, String what, String why) {
        try {
            InspectExecResponse exec = docker.inspectExecCmd(execId).exec();
            long until = System.nanoTime() + PID_WAIT_NANOS;
            // Docker marks an exec running before it records the pid, and the process may print (and its client
            // leave) in between: wait a moment for the pid
            while (Boolean.TRUE.equals(exec.isRunning()) && !hasPid(exec) && System.nanoTime() < until) {
                Thread.sleep(20);
                exec = docker.inspectExecCmd(execId).exec();
            }
            Long pid = exec.getPidLong();
            if (!Boolean.TRUE.equals(exec.isRunning())) {
                return;
            }
            if (pid == null || pid <= 0) {
                log.warn("exec [{}] in container {}: no pid to kill", what, DockerErrors.shortId(containerId));
                return;
            }
            ProcessHandle.of(pid).ifPresent(p -> {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            });
            log.info("exec [{}] in container {} {}: killed pid {}", what, DockerErrors.shortId(containerId), why, pid);
        } catch (RuntimeException e) {
            log.warn("exec [{}] in container {}: cannot kill after it {}: {}", what, DockerErrors.shortId(containerId), why, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("exec [{}] in container {}: interrupted waiting for its pid to kill it", what, DockerErrors.shortId(containerId));
        }
    }

    private static boolean hasPid(InspectExecResponse exec) {
        return exec.getPidLong() != null && exec.getPidLong() > 0;
    }
}
