package dev.skiff.cri.docker;

import dev.skiff.cri.v1.Image;
import dev.skiff.cri.v1.ListImagesResponse;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageIndexTest {
    private final Map<String, Image> byRef = new HashMap<>();
    private final List<String> calls = new ArrayList<>();
    private Runnable duringInspect = () -> { };
    private int listed;
    private final ImageIndex index = new ImageIndex(() -> {
        calls.add("list");
        return ListImagesResponse.newBuilder().addImages(Image.newBuilder().setId("sha256:" + ++listed)).build();
    }, ref -> {
        calls.add("inspect " + ref);
        duringInspect.run();
        return Optional.ofNullable(byRef.get(ref));
    });

    private static Image image(String id) {
        return Image.newBuilder().setId(id).build();
    }

    @Test
    void theListIsKeptUntilImagesChange() {
        assertEquals("sha256:1", index.list().getImages(0).getId());
        assertEquals("sha256:1", index.list().getImages(0).getId());
        index.changed();
        assertEquals("sha256:2", index.list().getImages(0).getId());
        assertEquals(List.of("list", "list"), calls);
    }

    @Test
    void referencesAreResolvedOnceEvenWhenAbsent() {
        byRef.put("busybox:1", image("sha256:a"));
        assertEquals("sha256:a", index.resolve("busybox:1").orElseThrow().getId());
        assertTrue(index.resolve("nginx:1").isEmpty());
        assertEquals("sha256:a", index.resolve("busybox:1").orElseThrow().getId());
        assertTrue(index.resolve("nginx:1").isEmpty());
        assertEquals(List.of("inspect busybox:1", "inspect nginx:1"), calls);
        byRef.put("nginx:1", image("sha256:n"));
        index.changed(); // its pull event
        assertEquals("sha256:n", index.resolve("nginx:1").orElseThrow().getId());
    }

    @Test
    void anAnswerFetchedWhileImagesChangedIsNotKept() {
        byRef.put("busybox:1", image("sha256:a"));
        duringInspect = index::changed;
        index.resolve("busybox:1");
        duringInspect = () -> { };
        index.resolve("busybox:1");
        assertEquals(2, calls.size(), calls.toString());
    }

    @Test
    void aContainersImageIsItsReferenceWhileThatNamesTheSameImage() {
        byRef.put("busybox:1", image("sha256:a"));
        assertEquals("busybox:1", index.listedImage("busybox:1", "sha256:a"));
        // the tag moved to another image: Docker's list shows the id
        assertEquals("sha256:b", index.listedImage("busybox:1", "sha256:b"));
        // the reference names no image any more
        assertEquals("sha256:c", index.listedImage("gone:1", "sha256:c"));
        // created by id
        assertEquals("sha256:c", index.listedImage("sha256:c", "sha256:c"));
    }
}
