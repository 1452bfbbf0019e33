package dev.skiff.kubelet.stats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.cri.stats.InterfaceUsage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SummaryJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void writesUpstreamsFieldNames() {
        Summary.FsStats fs = new Summary.FsStats("2026-01-01T00:00:00Z", 10L, 20L, 5L, 100L, 200L, 100L);
        Summary.NetworkStats net = SummaryProvider.network(List.of(
                new InterfaceUsage("eth0", 1, 2, 3, 4, 5, 6, 7, 8), new InterfaceUsage("net1", 9, 0, 0, 0, 10, 0, 0, 0)),
                1_767_225_600_000_000_000L);
        Summary.PodStats pod = new Summary.PodStats(new Summary.PodReference("web", "default", "u1"), "2026-01-01T00:00:00Z",
                List.of(), new Summary.CpuStats("2026-01-01T00:00:00Z", null, 42L), null, net,
                List.of(new Summary.VolumeStats(fs, "data", new Summary.PvcReference("claim", "default"))),
                fs, new Summary.ProcessStats(3L));
        JsonNode tree = JSON.valueToTree(new Summary(new Summary.NodeStats("n1", List.of(), null, null, null, null, null, null,
                new Summary.RlimitStats("2026-01-01T00:00:00Z", 4194304L, 300L)), List.of(pod)));

        JsonNode p = tree.path("pods").path(0);
        assertEquals("u1", p.path("podRef").path("uid").asText());
        assertTrue(p.path("containers").isArray(), "containers is always there, as upstream (no omitempty)");
        assertFalse(p.path("cpu").has("usageNanoCores"), "absent values are left out");
        assertEquals(42, p.path("cpu").path("usageCoreNanoSeconds").asLong());
        assertEquals("eth0", p.path("network").path("name").asText(), "the default interface is inline");
        assertEquals(5, p.path("network").path("txBytes").asLong());
        assertEquals(2, p.path("network").path("interfaces").size());
        assertEquals("2026-01-01T00:00:00Z", p.path("network").path("time").asText());
        JsonNode v = p.path("volume").path(0);
        assertEquals("data", v.path("name").asText());
        assertEquals(20, v.path("capacityBytes").asLong(), "the volume's FsStats is inline");
        assertEquals("claim", v.path("pvcRef").path("name").asText());
        assertEquals(5, p.path("ephemeral-storage").path("usedBytes").asLong());
        assertEquals(3, p.path("process_stats").path("process_count").asLong());
        assertEquals(4194304, tree.path("node").path("rlimit").path("maxpid").asLong());
        assertFalse(tree.path("node").has("fs"));
    }

    @Test
    void timesAreWholeSecondsUtc() {
        assertEquals("2026-01-01T00:00:01Z", Times.rfc3339(1_767_225_601_999_999_999L));
    }
}
