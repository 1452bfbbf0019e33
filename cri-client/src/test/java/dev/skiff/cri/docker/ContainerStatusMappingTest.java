package dev.skiff.cri.docker;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Docker inspect JSON → CRI ContainerStatus, for the cases Docker gets odd. */
class ContainerStatusMappingTest {
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private static ContainerStatus status(String started, String finished, int exitCode, boolean oom) throws Exception {
        String inspect = """
                {"Id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                 "Name":"/k8s_app_web_default_uid1_0","Created":"2026-11-24T10:00:00.000000000Z",
                 "Image":"sha256:feed","HostConfig":{"Binds":[]},
                 "State":{"Status":"exited","Running":false,"OOMKilled":%s,"ExitCode":%d,
                          "StartedAt":"%s","FinishedAt":"%s"},
                 "Config":{"Image":"busybox","Labels":{"io.kubernetes.container.name":"app",
                           "io.kubernetes.docker.type":"container"}}}
                """.formatted(oom, exitCode, started, finished);
        return ContainerService.status(JSON.readValue(inspect, InspectContainerResponse.class));
    }

    @Test
    void aProcessThatExitedAtOnceNeverFinishesBeforeItStarted() throws Exception {
        ContainerStatus s = status("2026-11-24T10:00:01.500000000Z", "2026-11-24T10:00:01.499000000Z", 0, false);
        assertEquals(ContainerState.CONTAINER_EXITED, s.getState());
        assertEquals(s.getStartedAt(), s.getFinishedAt());
        assertEquals("Completed", s.getReason());
    }

    @Test
    void ordinaryTimesPassThroughInNanoseconds() throws Exception {
        ContainerStatus s = status("2026-11-24T10:00:01.000000001Z", "2026-11-24T10:00:02.000000002Z", 3, false);
        assertEquals(1_795_514_401_000_000_001L, s.getStartedAt());
        assertEquals(1_795_514_402_000_000_002L, s.getFinishedAt());
        assertEquals("Error", s.getReason());
        assertEquals(3, s.getExitCode());
    }

    @Test
    void oomKilledWinsOverTheExitCode() throws Exception {
        assertEquals("OOMKilled", status("2026-11-24T10:00:01Z", "2026-11-24T10:00:02Z", 137, true).getReason());
    }
}
