package dev.skiff.cri.docker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class CgroupStatsTest {

    @Test
    void readsCgroupV1WithJointCpuControllers(@TempDir Path tmp) throws Exception {
        Path proc = tmp.resolve("proc"), root = tmp.resolve("cgroup");
        write(proc.resolve("42/cgroup"), """
                12:memory:/docker/abc
                4:cpu,cpuacct:/docker/abc
                1:name=systemd:/docker/abc
                0::/
                """);
        write(root.resolve("cpu,cpuacct/docker/abc/cpuacct.usage"), "123456789\n");
        write(root.resolve("memory/docker/abc/memory.usage_in_bytes"), "10000\n");
        write(root.resolve("memory/docker/abc/memory.stat"), """
                cache 1
                rss 2
                total_rss 3000
                total_inactive_file 4000
                total_pgfault 77
                total_pgmajfault 5
                """);
        CgroupStats.Usage u = new CgroupStats(root, proc).read(42).orElseThrow();
        assertEquals(123456789L, u.cpuUsageCoreNanos());
        assertEquals(10000L, u.memoryUsageBytes());
        assertEquals(6000L, u.memoryWorkingSetBytes());
        assertEquals(3000L, u.memoryRssBytes());
        assertEquals(77L, u.pageFaults());
        assertEquals(5L, u.majorPageFaults());
        assertTrue(u.timestampNanos() > 1_600_000_000_000_000_000L);
    }

    @Test
    void readsCgroupV1WithSeparateMounts(@TempDir Path tmp) throws Exception {
        Path proc = tmp.resolve("proc"), root = tmp.resolve("cgroup");
        write(proc.resolve("7/cgroup"), "3:cpuacct:/docker/x\n2:cpu:/docker/x\n4:memory:/docker/x\n");
        write(root.resolve("cpuacct/docker/x/cpuacct.usage"), "5\n");
        write(root.resolve("memory/docker/x/memory.usage_in_bytes"), "100\n");
        write(root.resolve("memory/docker/x/memory.stat"), "total_inactive_file 500\n");
        CgroupStats.Usage u = new CgroupStats(root, proc).read(7).orElseThrow();
        assertEquals(5L, u.cpuUsageCoreNanos());
        assertEquals(0L, u.memoryWorkingSetBytes(), "working set is floored at 0");
    }

    @Test
    void readsCgroupV2(@TempDir Path tmp) throws Exception {
        Path proc = tmp.resolve("proc"), root = tmp.resolve("cgroup");
        write(proc.resolve("9/cgroup"), "0::/system.slice/docker-abc.scope\n");
        write(root.resolve("cgroup.controllers"), "cpu memory\n");
        Path dir = root.resolve("system.slice/docker-abc.scope");
        write(dir.resolve("cpu.stat"), "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        write(dir.resolve("memory.current"), "8192\n");
        write(dir.resolve("memory.stat"), "anon 4096\nfile 4096\ninactive_file 1024\npgfault 11\npgmajfault 1\n");
        CgroupStats.Usage u = new CgroupStats(root, proc).read(9).orElseThrow();
        assertEquals(2_500_000L, u.cpuUsageCoreNanos());
        assertEquals(8192L, u.memoryUsageBytes());
        assertEquals(7168L, u.memoryWorkingSetBytes());
        assertEquals(4096L, u.memoryRssBytes());
        assertEquals(11L, u.pageFaults());
        assertEquals(1L, u.majorPageFaults());
    }

    @Test
    void goneProcessIsEmpty(@TempDir Path tmp) {
        assertTrue(new CgroupStats(tmp.resolve("cgroup"), tmp.resolve("proc")).read(12345).isEmpty());
        assertTrue(new CgroupStats(tmp.resolve("cgroup"), tmp.resolve("proc")).read(0).isEmpty());
    }

    private static void write(Path file, String content) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }
}
