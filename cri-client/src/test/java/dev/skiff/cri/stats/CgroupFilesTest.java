package dev.skiff.cri.stats;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The cgroup and /proc file parsers, on the spacing the kernel writes and on lines they must skip. */
class CgroupFilesTest {
    @Test
    void flatKeyedTakesTwoFieldLinesWithNumbersWhateverTheSpacing() {
        Map<String, Long> m = CgroupFiles.parseFlatKeyed("cache 1\n  rss\t\t2  \n\ntotal_rss 18446744073709551615\n"
                + "weird line here\nname text\nlast 7");
        assertEquals(Map.of("cache", 1L, "rss", 2L, "total_rss", Long.MAX_VALUE, "last", 7L), m);
        assertEquals(Map.of(), CgroupFiles.parseFlatKeyed(""));
    }

    @Test
    void fieldsSplitsAtRunsOfWhitespaceAndCountsThemAll() {
        String[] out = new String[2];
        String line = " \t8:0  Read\t4096 \r";
        assertEquals(3, CgroupFiles.fields(line, 0, line.length(), out));
        assertArrayEquals(new String[]{"8:0", "Read"}, out);
        assertEquals(0, CgroupFiles.fields("   ", 0, 3, out));
        assertEquals(1, CgroupFiles.fields("ab cd", 3, 5, out), "only the range is split");
        assertEquals("cd", out[0]);
    }

    @Test
    void blkioSumsReadsAndWritesPerDevice() {
        assertEquals(List.of(new CgroupSample.BlockIo("8:0", 4096, 8192), new CgroupSample.BlockIo("8:16", 1, 0)),
                CgroupFiles.parseBlkio("8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\n8:16 Read 1\nTotal 12289\n"));
    }

    @Test
    void ioStatReadsRbytesAndWbytes() {
        assertEquals(List.of(new CgroupSample.BlockIo("8:0", 100, 200), new CgroupSample.BlockIo("259:0", 5, 0)),
                CgroupFiles.parseIoStat("8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=5\nnonsense\n"));
    }

    @Test
    void netDevLeavesOutLoopbackAndShortLines() {
        String text = """
                Inter-|   Receive                                                |  Transmit
                 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
                  eth0:    5000      40    1    2    0     0          0         0     3000      30    3    4    0     0       0          0
                 short: 1 2 3
                """;
        assertEquals(List.of(new InterfaceUsage("eth0", 5000, 40, 1, 2, 3000, 30, 3, 4)), InterfaceUsage.parseNetDev(text));
    }
}
