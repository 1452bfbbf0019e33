package dev.skiff.cri.stats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class CgroupStatsReaderTest {
    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);

    @Test
    void readsEveryContainerOfAV1HierarchyInOnePass(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("cgroup"), proc = tmp.resolve("proc");
        v1Container(root, "/docker/" + A, 123_456_789L, 10_000, 4_000);
        v1Container(root, "/kubepods/burstable/pod1234/" + B, 5, 100, 500);
        write(root.resolve("memory/docker/" + A + "/memory.limit_in_bytes"), "67108864\n");
        write(root.resolve("memory/kubepods/burstable/pod1234/" + B + "/memory.limit_in_bytes"), "9223372036854771712\n");
        write(root.resolve("pids/docker/" + A + "/pids.current"), "3\n");
        write(root.resolve("blkio/docker/" + A + "/blkio.throttle.io_service_bytes_recursive"),
                "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\n8:16 Read 1\nTotal 12289\n");
        write(root.resolve("cpuacct/docker/" + A + "/cpuacct.stat"), "user 150\nsystem 50\n");
        // the root: the node
        write(root.resolve("cpuacct/cpuacct.usage"), "999\n");
        write(root.resolve("memory/memory.usage_in_bytes"), "1000000\n");
        write(root.resolve("memory/memory.stat"), "total_inactive_file 250000\n");

        StatsSnapshot snap = new CgroupStatsReader(root, proc, Clock.systemUTC(), Duration.ofSeconds(1)).snapshot();
        assertEquals(2, snap.containers().size());
        ContainerSample a = snap.container(A).orElseThrow();
        assertEquals("/docker/" + A, a.cgroupPath());
        CgroupSample s = a.sample();
        assertEquals(123_456_789L, s.cpuUsageNanos());
        assertEquals(1_500_000_000L, s.cpuUserNanos());
        assertEquals(500_000_000L, s.cpuSystemNanos());
        assertEquals(10_000, s.memoryUsageBytes());
        assertEquals(6_000, s.memoryWorkingSetBytes());
        assertEquals(3_000, s.memoryRssBytes());
        assertEquals(2_000, s.memoryCacheBytes());
        assertEquals(67108864L, s.memoryLimitBytes());
        assertEquals(67108864L - 6_000, s.memoryAvailableBytes().orElseThrow());
        assertEquals(3, s.processes());
        assertEquals(4097, s.fsReadBytes());
        assertEquals(8192, s.fsWriteBytes());
        assertEquals(List.of(new CgroupSample.BlockIo("8:0", 4096, 8192), new CgroupSample.BlockIo("8:16", 1, 0)), s.blockIo());
        assertTrue(a.cpuNanoCores().isEmpty(), "one sample gives no rate");

        CgroupSample b = snap.container(B).orElseThrow().sample();
        assertEquals(CgroupSample.UNLIMITED, b.memoryLimitBytes(), "v1's huge limit is no limit");
        assertTrue(b.memoryAvailableBytes().isEmpty());
        assertEquals(0, b.memoryWorkingSetBytes(), "working set is floored at 0");

        assertEquals("/", snap.node().cgroupPath());
        assertEquals(999, snap.node().sample().cpuUsageNanos());
        assertEquals(750_000, snap.node().sample().memoryWorkingSetBytes());
    }

    @Test
    void readsV2AndTheRootFromMeminfo(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("cgroup"), proc = tmp.resolve("proc");
        write(root.resolve("cgroup.controllers"), "cpu memory io pids\n");
        write(root.resolve("cpu.stat"), "usage_usec 7000\n");
        Path dir = root.resolve("system.slice/docker-" + A + ".scope");
        write(dir.resolve("cpu.stat"), "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        write(dir.resolve("memory.current"), "8192\n");
        write(dir.resolve("memory.max"), "max\n");
        write(dir.resolve("memory.stat"), "anon 4096\nfile 2048\ninactive_file 1024\npgfault 11\npgmajfault 1\n");
        write(dir.resolve("pids.current"), "2\n");
        write(dir.resolve("io.stat"), "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n");
        write(root.resolve("system.slice/cron.service/cpu.stat"), "usage_usec 1\n");
        write(proc.resolve("meminfo"), "MemTotal:       1000 kB\nMemFree:         400 kB\nInactive(file):  100 kB\nCached: 50 kB\n");

        StatsSnapshot snap = new CgroupStatsReader(root, proc, Clock.systemUTC(), Duration.ofSeconds(1)).snapshot();
        assertEquals(1, snap.containers().size(), "only container cgroups are indexed");
        CgroupSample s = snap.container(A).orElseThrow().sample();
        assertEquals(2_500_000L, s.cpuUsageNanos());
        assertEquals(2_000_000L, s.cpuUserNanos());
        assertEquals(8192, s.memoryUsageBytes());
        assertEquals(7168, s.memoryWorkingSetBytes());
        assertEquals(4096, s.memoryRssBytes());
        assertEquals(2048, s.memoryCacheBytes());
        assertEquals(CgroupSample.UNLIMITED, s.memoryLimitBytes());
        assertEquals(11, s.pageFaults());
        assertEquals(2, s.processes());
        assertEquals(100, s.fsReadBytes());
        assertEquals(200, s.fsWriteBytes());

        CgroupSample node = snap.node().sample();
        assertEquals(7_000_000L, node.cpuUsageNanos());
        assertEquals(600 * 1024, node.memoryUsageBytes());
        assertEquals(500 * 1024, node.memoryWorkingSetBytes());
    }

    @Test
    void snapshotsAreCachedForTheWindowAndRatesComeFromThePreviousOne(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("cgroup"), proc = tmp.resolve("proc");
        v1Container(root, "/docker/" + A, 1_000_000_000L, 10, 0);
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
        Clock clock = new Clock() {
            public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
            public Clock withZone(java.time.ZoneId z) { return this; }
            public Instant instant() { return now.get(); }
        };
        CgroupStatsReader reader = new CgroupStatsReader(root, proc, clock, Duration.ofMillis(300));
        StatsSnapshot first = reader.snapshot();
        assertSame(first, reader.snapshot(), "a second caller within the window gets the same read");

        Thread.sleep(350);
        now.set(now.get().plusSeconds(2));
        write(root.resolve("cpuacct/docker/" + A + "/cpuacct.usage"), "2000000000\n"); // one core-second more
        StatsSnapshot second = reader.snapshot();
        assertNotSame(first, second);
        assertEquals(500_000_000L, second.container(A).orElseThrow().cpuNanoCores().orElseThrow(), "1 s of CPU in 2 s");
    }

    @Test
    void readsOnlyTheContainersAskedForAndFindsNewOnesWhenAsked(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("cgroup"), proc = tmp.resolve("proc");
        v1Container(root, "/docker/" + A, 1, 10, 0);
        v1Container(root, "/docker/" + B, 2, 20, 0); // another container of the host, not the kubelet's
        CgroupStatsReader reader = new CgroupStatsReader(root, proc, Clock.systemUTC(), Duration.ofSeconds(30));
        StatsSnapshot first = reader.snapshot(java.util.Set.of(A));
        assertEquals(java.util.Set.of(A), ids(first), "only the container asked for is read");
        assertSame(first, reader.snapshot(java.util.Set.of(A)), "the same ids within the window: the same read");

        String c = "c".repeat(64);
        v1Container(root, "/kubepods/pod1/" + c, 3, 30, 0); // started after the first walk
        StatsSnapshot second = reader.snapshot(java.util.Set.of(A, c, "d".repeat(64)));
        assertNotSame(first, second, "an id the cached read was not taken for: a new read");
        assertEquals(java.util.Set.of(A, c), ids(second), "a new cgroup is found; an id without one is left out");
        assertEquals(30, second.container(c).orElseThrow().sample().memoryUsageBytes());
        assertSame(second, reader.snapshot(java.util.Set.of(c)), "a subset of what the cached read was taken for");

        write(root.resolve("memory/docker/" + A + "/memory.usage_in_bytes"), "11\n");
        assertEquals(java.util.Set.of(A, B, c), ids(reader.snapshot()), "every container cgroup, read anew");
        assertEquals(11, reader.snapshot().container(A).orElseThrow().sample().memoryUsageBytes(),
                "files kept open are read again from the start");
    }

    private static java.util.Set<String> ids(StatsSnapshot snap) {
        return snap.containers().stream().map(ContainerSample::id).collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void networkComesFromTheFirstProcessOfTheCgroup(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("cgroup"), proc = tmp.resolve("proc");
        v1Container(root, "/docker/" + A, 1, 1, 0);
        write(root.resolve("memory/docker/" + A + "/cgroup.procs"), "4242\n4243\n");
        write(proc.resolve("4242/net/dev"), """
                Inter-|   Receive                                                |  Transmit
                 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
                  eth0:    5000      40    1    2    0     0          0         0     7000      50    3    4    0     0       0          0
                """);
        StatsSnapshot snap = new CgroupStatsReader(root, proc, Clock.systemUTC(), Duration.ofSeconds(1)).snapshot();
        List<InterfaceUsage> net = snap.network(snap.container(A).orElseThrow());
        assertEquals(List.of(new InterfaceUsage("eth0", 5000, 40, 1, 2, 7000, 50, 3, 4)), net, "lo is left out");
    }

    @Test
    void aMissingHierarchyGivesAnEmptySnapshot(@TempDir Path tmp) {
        StatsSnapshot snap = new CgroupStatsReader(tmp.resolve("none"), tmp.resolve("proc"), Clock.systemUTC(), Duration.ZERO).snapshot();
        assertTrue(snap.containers().isEmpty());
        assertEquals(0, snap.node().sample().cpuUsageNanos());
    }

    @Test
    void processMembershipNamesTheCgroup(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("cgroup"), proc = tmp.resolve("proc");
        Files.createDirectories(root.resolve("memory"));
        Files.createDirectories(root.resolve("cpu,cpuacct"));
        write(proc.resolve("self/cgroup"), "12:memory:/system.slice/skiff.service\n4:cpu,cpuacct:/system.slice/skiff.service\n0::/\n");
        CgroupStatsReader reader = new CgroupStatsReader(root, proc, Clock.systemUTC(), Duration.ZERO);
        assertEquals("/system.slice/skiff.service", reader.cgroupOfProcess("self").orElseThrow());
        assertTrue(reader.cgroupOfProcess("999999").isEmpty());
    }

    @Test
    void containerDirectoryNames() {
        assertEquals(A, ContainerCgroupIndex.containerId(A).orElseThrow());
        assertEquals(A, ContainerCgroupIndex.containerId("docker-" + A + ".scope").orElseThrow());
        assertEquals(A, ContainerCgroupIndex.containerId("cri-containerd-" + A + ".scope").orElseThrow());
        assertTrue(ContainerCgroupIndex.containerId("pod1234").isEmpty());
        assertTrue(ContainerCgroupIndex.containerId("abc").isEmpty());
    }

    @Test
    void pathsLeavingTheHierarchyAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> CgroupLayout.relative("/docker/../../etc"));
    }

    /** A v1 container: joint cpu,cpuacct mount (with the cpuacct symlink as on Debian), memory mount. */
    static void v1Container(Path root, String path, long cpu, long usage, long inactiveFile) throws Exception {
        Path joint = root.resolve("cpu,cpuacct");
        Files.createDirectories(joint);
        if (!Files.exists(root.resolve("cpuacct"))) {
            Files.createSymbolicLink(root.resolve("cpuacct"), joint.getFileName());
        }
        String rel = path.substring(1);
        write(joint.resolve(rel).resolve("cpuacct.usage"), cpu + "\n");
        write(root.resolve("memory").resolve(rel).resolve("memory.usage_in_bytes"), usage + "\n");
        write(root.resolve("memory").resolve(rel).resolve("memory.stat"),
                "cache 1\nrss 2\ntotal_rss 3000\ntotal_cache 2000\ntotal_inactive_file " + inactiveFile
                        + "\ntotal_pgfault 77\ntotal_pgmajfault 5\n");
    }

    static void write(Path file, String content) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }
}
