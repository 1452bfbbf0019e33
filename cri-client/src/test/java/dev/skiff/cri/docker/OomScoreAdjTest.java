package dev.skiff.cri.docker;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class OomScoreAdjTest {
    @Test
    void raisingIsKeptAndLoweringBelowOurOwnIsClamped() {
        OomScoreAdj oom = new OomScoreAdj(0);
        assertEquals(1000, oom.clamp(1000));
        assertEquals(0, oom.clamp(0));
        assertEquals(0, oom.clamp(-998));
    }

    @Test
    void clampIsRelativeToOurOwnScore() {
        OomScoreAdj oom = new OomScoreAdj(-500);
        assertEquals(-500, oom.clamp(-998));
        assertEquals(-100, oom.clamp(-100));
    }

    @Test
    void ownScoreComesFromProc() throws Exception {
        int expected = Integer.parseInt(Files.readString(Path.of("/proc/self/oom_score_adj")).trim());
        assertEquals(expected, OomScoreAdj.fromProc().own());
    }
}
