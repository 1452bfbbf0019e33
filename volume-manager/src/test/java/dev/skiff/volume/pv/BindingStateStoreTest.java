package dev.skiff.volume.pv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BindingStateStoreTest {
    @TempDir
    Path dir;

    private static final BindingState STATE = new BindingState(
            Map.of("pv-a", new VolumeStatus(VolumePhase.Bound, new ClaimRef("ns", "c", "u-1"), ""),
                    "pv \"odd\"\\\n\u0001é", new VolumeStatus(VolumePhase.Failed, null, "rm: \"x\"\tbusy\n"),
                    "pv-r", new VolumeStatus(VolumePhase.Available, new ClaimRef("ns", "later", ""), "")),
            Map.of("ns/c", new ClaimStatus(ClaimPhase.Bound, "pv-a", ""),
                    "ns/p", new ClaimStatus(ClaimPhase.Pending, null, "waiting for a volume to be created"),
                    "ns/l", new ClaimStatus(ClaimPhase.Lost, "gone", "lost")));

    @Test
    void missingFileIsTheEmptyState() throws IOException {
        assertEquals(BindingState.EMPTY, new BindingStateStore(dir.resolve("not-yet")).load());
    }

    @Test
    void roundTripsAndOverwritesWithoutLeavingTempFiles() throws IOException {
        BindingStateStore store = new BindingStateStore(dir.resolve("sub"));
        store.save(BindingState.EMPTY);
        assertEquals(BindingState.EMPTY, store.load());
        store.save(STATE);
        assertEquals(STATE, new BindingStateStore(dir.resolve("sub")).load());
        try (var files = Files.list(dir.resolve("sub"))) {
            assertEquals(List.of(BindingStateStore.FILE_NAME),
                    files.map(p -> p.getFileName().toString()).toList());
        }
        assertTrue(Files.readString(store.file()).contains("\"version\": 1"));
    }

    @Test
    void corruptFilesAreReportedNotIgnored() throws IOException {
        BindingStateStore store = new BindingStateStore(dir);
        store.save(STATE);
        String good = Files.readString(store.file());
        List<String> bad = List.of(
                "", "{", good.substring(0, good.length() / 2), good + "x", "[]", "null",
                good.replace("\"version\": 1", "\"version\": 2"),
                good.replace("\"Bound\"", "\"Glued\""),
                good.replace("\"ns/c\"", "\"no-slash\""),
                good.replace("\"uid\": \"u-1\"", "\"uid\": 7"),
                good.replace("\"volumes\"", "\"vols\""),
                "{\"version\": 1, \"version\": 1, \"volumes\": {}, \"claims\": {}}",
                "{\"version\": 1.5, \"volumes\": {}, \"claims\": {}}");
        for (String text : bad) {
            Files.writeString(store.file(), text);
            CorruptBindingStateException e = assertThrows(CorruptBindingStateException.class, store::load, text);
            assertEquals(store.file(), e.file());
            assertTrue(e.getMessage().contains(store.file().toString()), e.getMessage());
        }
        Files.write(store.file(), new byte[]{'{', (byte) 0xff, '}'});
        assertTrue(assertThrows(CorruptBindingStateException.class, store::load).getMessage().contains("UTF-8"));
        Files.writeString(store.file(), good, StandardCharsets.UTF_8);
        assertEquals(STATE, store.load());
    }
}
