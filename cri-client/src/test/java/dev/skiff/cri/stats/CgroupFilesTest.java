package dev.skiff.cri.stats;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The cgroup and /proc file parsers, on the spacing the kernel writes and on lines they must skip. */
class CgroupFilesTest {
    @Test
    void flatKeyedTakesTheWantedKeysWhateverTheSpacing() {
        byte[][] keys = CgroupFiles.keys("cache", "rss", "total_rss", "name", "last", "absent", "total");
        long[] out = new long[keys.length];
        CgroupFiles.parseFlatKeyed(bytes("cache 1\nrss\t\t2  \n\ntotal_rss 18446744073709551615\n"
                + "weird line here\nname text\ntotal_cache 9\nlast 7"), keys, out);
        assertArrayEquals(new long[]{1, 2, Long.MAX_VALUE, 0, 7, 0, 0}, out);
        CgroupFiles.parseFlatKeyed(bytes(""), keys, out);
        assertArrayEquals(new long[keys.length], out, "an empty file sets every value to 0");
    }

    @Test
    void singleValuesWithMaxAndTheV1NoLimit() {
        assertEquals(4096, CgroupFiles.parseLong(bytes("4096\n")));
        assertEquals(CgroupSample.UNLIMITED, CgroupFiles.parseLong(bytes("max\n")));
        assertEquals(CgroupSample.UNLIMITED, CgroupFiles.parseLong(bytes("9223372036854771712\n")));
        assertEquals(0, CgroupFiles.parseLong(bytes("")));
        assertEquals(0, CgroupFiles.parseLong(bytes("-1\n")));
        java.nio.ByteBuffer part = bytes("xx 12 yy");
        part.position(3).limit(5);
        assertEquals(12, CgroupFiles.parseLong(part), "only the buffer's remaining bytes");
    }

    private static java.nio.ByteBuffer bytes(String s) {
        return java.nio.ByteBuffer.wrap(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
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
