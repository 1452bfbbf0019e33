package dev.skiff.cri.docker;

import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CriLogLineTest {
    private static final Instant T = Instant.parse("2016-10-06T00:17:09.669794202Z");

    @Test
    void formatsTheCriRecord() {
        assertEquals("2016-10-06T00:17:09.669794202Z stdout F hello\n",
                new String(CriLogLine.of(T, "stdout", false, "hello").encode(), StandardCharsets.UTF_8));
        assertEquals("2016-10-06T00:17:09.000000000Z stderr P \n",
                new String(CriLogLine.of(Instant.parse("2016-10-06T00:17:09Z"), "stderr", true, "").encode(), StandardCharsets.UTF_8));
    }

    @Test
    void parsesWhatItFormatsAndRejectsGarbage() {
        CriLogLine line = CriLogLine.of(T, "stderr", true, "a b  c ");
        assertEquals(line, CriLogLine.parse(new String(line.encode(), StandardCharsets.UTF_8)).orElseThrow());
        assertEquals("", CriLogLine.parse("2016-10-06T00:17:09.1Z stdout F ").orElseThrow().text());
        assertEquals(Instant.parse("2016-10-06T00:17:09.100Z"), CriLogLine.parse("2016-10-06T00:17:09.1Z stdout F x").orElseThrow().time());
        assertTrue(CriLogLine.parse("garbage").isEmpty());
        assertTrue(CriLogLine.parse("2016-10-06T00:17:09.1Z stdin F x").isEmpty());
        assertTrue(CriLogLine.parse("2016-10-06T00:17:09.1Z stdout X x").isEmpty());
        assertTrue(CriLogLine.parse("yesterday stdout F x").isEmpty());
    }

    @Test
    void skipperDropsExactlyWhatWasWritten() {
        Instant a = T, b = T.plusNanos(1), c = T.plusSeconds(1);
        LogResumePoint point = LogResumePoint.NONE.next(a).next(b).next(b);
        assertEquals(new LogResumePoint(b, 2), point);
        assertEquals(T.getEpochSecond(), point.sinceSeconds());
        LogResumePoint.Skipper s = point.skipper();
        // Docker repeats the whole second: a, b, b were written; the third b and c are new.
        assertFalse(s.isNew(a));
        assertFalse(s.isNew(b));
        assertFalse(s.isNew(b));
        assertTrue(s.isNew(b));
        assertTrue(s.isNew(c));
        assertTrue(LogResumePoint.NONE.skipper().isNew(a));
    }

    @Test
    void recoversTheResumePointAndDropsATornRecord(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("a/b/0.log");
        CriLogWriter writer = new CriLogWriter(file);
        assertTrue(writer.recover().isNone());
        Instant b = T.plusSeconds(1);
        writer.write(CriLogLine.of(T, "stdout", false, "one"));
        writer.write(CriLogLine.of(b, "stdout", true, "two-a"));
        writer.write(CriLogLine.of(b, "stderr", false, "two-b"));
        writer.close();
        Files.writeString(file, "2016-10-06T00:17:10.669794202Z stdout F tor", java.nio.file.StandardOpenOption.APPEND);
        CriLogWriter again = new CriLogWriter(file);
        assertEquals(new LogResumePoint(b, 2), again.recover());
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size());
        assertTrue(Files.readString(file).endsWith("two-b\n"));
    }

    @Test
    void recoveryCountsARunLongerThanTheFirstWindow(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("0.log");
        CriLogWriter writer = new CriLogWriter(file);
        writer.write(CriLogLine.of(T.minusSeconds(5), "stdout", false, "older"));
        String text = "x".repeat(1000);
        for (int i = 0; i < 300; i++) {
            writer.write(CriLogLine.of(T, "stdout", false, text));
        }
        writer.close();
        assertEquals(new LogResumePoint(T, 300), new CriLogWriter(file).recover());
    }

    @Test
    void reopenContinuesIntoAFreshFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("0.log");
        CriLogWriter writer = new CriLogWriter(file);
        writer.write(CriLogLine.of(T, "stdout", false, "before"));
        Files.move(file, dir.resolve("0.log.1"));
        writer.reopen();
        writer.write(CriLogLine.of(T, "stdout", false, "after"));
        writer.close();
        assertTrue(Files.readString(dir.resolve("0.log.1")).endsWith("before\n"));
        assertEquals("2016-10-06T00:17:09.669794202Z stdout F after\n", Files.readString(file));
    }

    @Test
    void multiplexedFramesAreMessages() {
        List<CriLogLine> out = new ArrayList<>();
        DockerLogFrameReader reader = new DockerLogFrameReader(out::add);
        reader.accept(new Frame(StreamType.STDOUT, bytes("2016-10-06T00:17:09.669794202Z hello\n")));
        reader.accept(new Frame(StreamType.STDERR, bytes("2016-10-06T00:17:09.669794203Z piece")));
        reader.accept(new Frame(StreamType.STDERR, bytes("2016-10-06T00:17:09.669794204Z end\n")));
        reader.accept(new Frame(StreamType.STDOUT, bytes("2016-10-06T00:17:09.669794205Z last")));
        assertEquals(List.of(
                CriLogLine.of(T, "stdout", false, "hello"),
                CriLogLine.of(T.plusNanos(1), "stderr", true, "piece"),
                CriLogLine.of(T.plusNanos(2), "stderr", false, "end"),
                CriLogLine.of(T.plusNanos(3), "stdout", true, "last")), out);
    }

    @Test
    void rawFramesAreSplitAtNewlines() {
        List<CriLogLine> out = new ArrayList<>();
        DockerLogFrameReader reader = new DockerLogFrameReader(out::add);
        reader.accept(new Frame(StreamType.RAW, bytes("2016-10-06T00:17:09.669794202Z hel")));
        reader.accept(new Frame(StreamType.RAW, bytes("lo\r\n2016-10-06T00:17:09.6697942")));
        reader.accept(new Frame(StreamType.RAW, bytes("03Z tail")));
        assertEquals(List.of(CriLogLine.of(T, "stdout", false, "hello")), out);
        reader.finish();
        assertEquals(CriLogLine.of(T.plusNanos(1), "stdout", true, "tail"), out.get(1));
    }

    @Test
    void readsDockerStdcopyFramingAsMessages() throws Exception {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        String big = "2016-10-06T00:17:09.669794202Z " + "y".repeat(16384);
        for (Object[] f : new Object[][] {{1, big}, {2, "2016-10-06T00:17:09.669794203Z oops\n"}, {1, "2016-10-06T00:17:09.669794204Z end\n"}}) {
            byte[] payload = bytes((String) f[1]);
            body.write(new byte[] {(byte) (int) (Integer) f[0], 0, 0, 0});
            body.write(java.nio.ByteBuffer.allocate(4).putInt(payload.length).array());
            body.write(payload);
        }
        List<CriLogLine> out = new ArrayList<>();
        new DockerLogFrameReader(out::add).copy(new java.io.ByteArrayInputStream(body.toByteArray()), false);
        assertEquals(List.of(
                CriLogLine.of(T, "stdout", true, "y".repeat(16384)),
                CriLogLine.of(T.plusNanos(1), "stderr", false, "oops"),
                CriLogLine.of(T.plusNanos(2), "stdout", false, "end")), out);
        // A stream cut inside a frame is an error, not a silently short message.
        byte[] cut = java.util.Arrays.copyOf(body.toByteArray(), 100);
        assertThrows(java.io.EOFException.class,
                () -> new DockerLogFrameReader(l -> {}).copy(new java.io.ByteArrayInputStream(cut), false));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
