package dev.skiff.cri.docker;

import dev.skiff.cri.v1.Image;
import dev.skiff.cri.v1.ListImagesResponse;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Docker's images as the CRI answers give them: the whole list, and each reference asked about resolved to its
 * image (or to none), so ListImages and ImageStatus need no Docker call. Any image event (pull, tag, untag,
 * delete, import, load …) and every image call of the shim's own drops all of it, to be asked for again on the
 * next call; an answer fetched while such a change came in is not kept. Answers only while {@link #live()}.
 */
final class ImageIndex {
    /** Distinct references kept at most; beyond, the cache starts over (kubelets ask about a few dozen). */
    static final int MAX_REFS = 1024;

    private record Kept<T>(long generation, T value) {}

    private final Supplier<ListImagesResponse> list;
    private final Function<String, Optional<Image>> inspect;
    private final AtomicLong generation = new AtomicLong();
    private volatile Kept<ListImagesResponse> listed;
    private final Map<String, Kept<Optional<Image>>> refs = new ConcurrentHashMap<>();
    private volatile boolean live;

    /**
     * @param list Docker's image list as the CRI answer
     * @param inspect a reference (name, id or digest) resolved by Docker to its image (with the user), or empty
     */
    ImageIndex(Supplier<ListImagesResponse> list, Function<String, Optional<Image>> inspect) {
        this.list = list;
        this.inspect = inspect;
    }

    boolean live() {
        return live;
    }

    void live(boolean live) {
        this.live = live;
    }

    /** Something about images changed: forget everything. */
    void changed() {
        generation.incrementAndGet();
        listed = null;
        refs.clear();
    }

    ListImagesResponse list() {
        Kept<ListImagesResponse> k = listed;
        long g = generation.get();
        if (k != null && k.generation() == g) {
            return k.value();
        }
        ListImagesResponse fresh = list.get();
        if (generation.get() == g) {
            listed = new Kept<>(g, fresh);
        }
        return fresh;
    }

    /** The image a reference names, as {@code docker image inspect} resolves it. */
    Optional<Image> resolve(String ref) {
        long g = generation.get();
        Kept<Optional<Image>> k = refs.get(ref);
        if (k != null && k.generation() == g) {
            return k.value();
        }
        Optional<Image> fresh = inspect.apply(ref);
        if (generation.get() == g) {
            if (refs.size() >= MAX_REFS) {
                refs.clear();
            }
            refs.put(ref, new Kept<>(g, fresh));
        }
        return fresh;
    }

    /**
     * What Docker's container list shows as a container's image: the reference it was created from while that
     * still names the same image, else the image id (moby's refreshImage).
     */
    String listedImage(String configImage, String imageId) {
        if (configImage.equals(imageId)) {
            return configImage;
        }
        if (configImage.isEmpty()) {
            return imageId;
        }
        return resolve(configImage).filter(i -> i.getId().equals(imageId)).isPresent() ? configImage : imageId;
    }
}
