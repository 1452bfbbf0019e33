package dev.skiff.cri.docker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where copying resumes after a restart, including right after the kubelet rotated the file. */
class CriLogWriterRecoverTest {
    private static final String T1 = "2026-11-24T10:00:00.000000001Z";
    private static final String T2 = "2026-11-24T10:00:01.000000002Z";

    @TempDir
    Path dir;

    @Test
    void missingFileAndNoRotationStartsFromTheBeginning() throws Exception {
        assertTrue(new CriLogWriter(dir.resolve("0.log")).recover().isNone());
    }

    @Test
    void liveFileWinsAndATornTailIsDropped() throws Exception {
        Path log = dir.resolve("0.log");
        Files.writeString(log, T1 + " stdout F a\n" + T2 + " stdout F b\n" + T2 + " stdout F c\n" + T2 + " stdout P tor");
        Files.writeString(dir.resolve("0.log.20261124-095959"), T1 + " stdout F old\n");
        LogResumePoint p = new CriLogWriter(log).recover();
        assertEquals(new LogResumePoint(Instant.parse(T2), 2), p);
        assertEquals(T1 + " stdout F a\n" + T2 + " stdout F b\n" + T2 + " stdout F c\n", Files.readString(log));
    }

    @Test
    void emptyFileRightAfterRotationResumesFromTheNewestRotatedFile() throws Exception {
        Path log = dir.resolve("0.log");
        Files.writeString(log, "");
        Files.writeString(dir.resolve("0.log.20261124-095000"), T1 + " stdout F older\n");
        Files.write(dir.resolve("0.log.20261124-094000.gz"), new byte[] {31, -117});
        Files.writeString(dir.resolve("0.log.20261124-100001"), T1 + " stdout F x\n" + T2 + " stderr F y\n");
        Files.writeString(dir.resolve("1.log.20261124-100002"), "2026-11-24T11:00:00Z stdout F other container\n");
        assertEquals(new LogResumePoint(Instant.parse(T2), 1), new CriLogWriter(log).recover());
    }
}
