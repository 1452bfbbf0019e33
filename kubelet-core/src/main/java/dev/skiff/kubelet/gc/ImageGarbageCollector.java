package dev.skiff.kubelet.gc;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.FilesystemUsage;
import dev.skiff.cri.v1.Image;
import dev.skiff.cri.v1.ImageFsInfoRequest;
import dev.skiff.cri.v1.ImageSpec;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ListImagesRequest;
import dev.skiff.cri.v1.RemoveImageRequest;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Upstream's image GC manager (pkg/kubelet/images/image_gc_manager.go): every image's first detection and last
 * use are tracked in memory (last use = now while any container, in any state, uses it); when the image filesystem
 * reaches the high threshold, unused images are removed least recently used first (then first detected first)
 * until usage is down to the low threshold. Never removed: an image any container uses, a sandbox (pause) image,
 * a pinned image, an image first detected less than the policy's minimum age ago. The first detection after start
 * dates every image it finds to the distant past, as upstream does, so that a restart does not hold images back.
 */
public final class ImageGarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(ImageGarbageCollector.class);

    private final ImageService images;
    private final RuntimeService runtime;
    private final ImageGcPolicy policy;
    private final Set<String> sandboxImages;
    private final FsStats.Reader fsStats;
    private final Clock clock;
    private final Map<String, Record> records = new HashMap<>();
    private boolean initialized;

    private static final class Record {
        final Instant firstDetected;
        Instant lastUsed; // null: never seen in use
        long size;
        List<String> tags = List.of();

        Record(Instant firstDetected) {
            this.firstDetected = firstDetected;
        }
    }

    /** The outcome of one pass. {@code bytesToFree} is 0 when usage was below the high threshold. */
    public record Result(int usagePercent, long bytesToFree, long bytesFreed, List<String> removedImageIds) {
        public boolean freedEnough() {
            return bytesFreed >= bytesToFree;
        }
    }

    /**
     * @param sandboxImages names of the sandbox images (e.g. the configured pod infra image or Skiff's pause image):
     *                      sandboxes are no CRI containers, so their image never shows as used and is protected by name
     */
    public ImageGarbageCollector(ImageService images, RuntimeService runtime, ImageGcPolicy policy,
                                 Set<String> sandboxImages, FsStats.Reader fsStats, Clock clock) {
        this.images = images;
        this.runtime = runtime;
        this.policy = policy;
        this.sandboxImages = sandboxImages.stream().map(ImageGarbageCollector::normalize).collect(Collectors.toSet());
        this.fsStats = fsStats;
        this.clock = clock;
    }

    public ImageGcPolicy policy() {
        return policy;
    }

    /**
     * Records which images exist and which are in use now. Runs at every pass (and may run more often): an image's
     * age and last use are only as precise as the detections.
     */
    public synchronized void detectImages() {
        detect(clock.instant());
    }

    /**
     * One pass: detect, measure the image filesystem, and when at or above the high threshold free down to the low
     * one. With {@code mayRemove} false (the pod sources are not all read yet, so a container about to be created
     * again is not known) it only detects.
     *
     * @throws IOException when the image filesystem cannot be measured
     */
    public synchronized Result collect(boolean mayRemove) throws IOException {
        Instant now = clock.instant();
        detect(now);
        FsStats fs = imageFsStats();
        int usage = fs.usagePercent();
        if (usage < policy.highThresholdPercent() || !mayRemove) {
            return new Result(usage, 0, 0, List.of());
        }
        long toFree = fs.bytesToFree(policy.lowThresholdPercent());
        log.info("image filesystem at {}% (capacity {} bytes, available {}), at or above the high threshold {}%: "
                        + "freeing {} bytes to reach {}%", usage, fs.capacityBytes(), fs.availableBytes(),
                policy.highThresholdPercent(), toFree, policy.lowThresholdPercent());
        Result r = freeSpace(toFree, now, usage);
        if (!r.freedEnough()) {
            log.warn("Failed to garbage collect required amount of images. Attempted to free {} bytes, but only found "
                    + "{} bytes eligible to free.", toFree, r.bytesFreed());
        }
        return r;
    }

    private FsStats imageFsStats() throws IOException {
        List<FilesystemUsage> filesystems = images.imageFsInfo(ImageFsInfoRequest.getDefaultInstance()).getImageFilesystemsList();
        if (filesystems.isEmpty() || filesystems.get(0).getFsId().getMountpoint().isEmpty()) {
            throw new IOException("the runtime reports no image filesystem");
        }
        Path mountpoint = Path.of(filesystems.get(0).getFsId().getMountpoint());
        FsStats fs = fsStats.read(mountpoint);
        if (fs.capacityBytes() <= 0) {
            throw new IOException("invalid capacity " + fs.capacityBytes() + " on image filesystem " + mountpoint);
        }
        return fs;
    }

    private void detect(Instant now) {
        Instant detected = initialized ? now : Instant.EPOCH; // upstream: the first detection is "in the past"
        UsedImages used = usedImages();
        List<Image> present = images.listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
        Set<String> ids = new HashSet<>();
        for (Image image : present) {
            ids.add(image.getId());
            Record r = records.computeIfAbsent(image.getId(), id -> {
                log.debug("image {} {} detected", image.getId(), image.getRepoTagsList());
                return new Record(detected);
            });
            if (used.uses(image)) {
                r.lastUsed = now;
            }
            r.size = image.getSize();
            r.tags = List.copyOf(image.getRepoTagsList());
        }
        records.keySet().retainAll(ids);
        initialized = true;
    }

    private Result freeSpace(long toFree, Instant now, int usage) {
        UsedImages used = usedImages(); // fresh: a container may have been created since the detection
        List<Image> present = images.listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
        List<Image> candidates = new ArrayList<>();
        for (Image image : present) {
            Record r = records.get(image.getId());
            if (r == null) {
                continue; // appeared after the detection: too young by definition
            }
            if (used.uses(image)) {
                r.lastUsed = now;
                continue;
            }
            if (image.getPinned() || isSandboxImage(image)) {
                continue;
            }
            candidates.add(image);
        }
        // least recently used first (never used counts as oldest), then first detected first, as upstream
        candidates.sort(Comparator.<Image, Instant>comparing(i -> lastUsedOrEpoch(records.get(i.getId())))
                .thenComparing(i -> records.get(i.getId()).firstDetected)
                .thenComparing(Image::getId));
        long freed = 0;
        List<String> removed = new ArrayList<>();
        for (Image image : candidates) {
            if (freed >= toFree) {
                break;
            }
            Record r = records.get(image.getId());
            Duration age = Duration.between(r.firstDetected, now);
            if (age.compareTo(policy.minAge()) < 0) {
                log.info("image {} {} not removed: first seen {} ago, younger than imageMinimumGCAge {}", image.getId(),
                        r.tags, age.withNanos(0), policy.minAge());
                continue;
            }
            try {
                images.removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image.getId())).build());
            } catch (RuntimeException e) {
                log.warn("image {} {}: cannot remove: {}", image.getId(), r.tags, ImagePuller.goError(e));
                continue;
            }
            records.remove(image.getId());
            freed += image.getSize();
            removed.add(image.getId());
            log.info("removed image {} {} ({} bytes): {}, first seen {}; image filesystem at {}% >= {}%", image.getId(),
                    r.tags, image.getSize(), r.lastUsed == null ? "not used since seen" : "last used " + r.lastUsed,
                    r.firstDetected.equals(Instant.EPOCH) ? "before the kubelet started" : r.firstDetected,
                    usage, policy.highThresholdPercent());
        }
        log.info("image GC freed {} bytes in {} images ({} bytes wanted)", freed, removed.size(), toFree);
        return new Result(usage, toFree, freed, removed);
    }

    private static Instant lastUsedOrEpoch(Record r) {
        return r.lastUsed != null ? r.lastUsed : Instant.EPOCH;
    }

    private boolean isSandboxImage(Image image) {
        if (sandboxImages.contains(image.getId())) {
            return true;
        }
        for (String tag : image.getRepoTagsList()) {
            if (sandboxImages.contains(normalize(tag))) {
                return true;
            }
        }
        for (String digest : image.getRepoDigestsList()) {
            if (sandboxImages.contains(normalize(digest))) {
                return true;
            }
        }
        return false;
    }

    /** Image ids and names every container (any state) refers to. */
    private record UsedImages(Set<String> ids, Set<String> names) {
        boolean uses(Image image) {
            if (ids.contains(image.getId()) || names.contains(image.getId())) {
                return true;
            }
            for (String tag : image.getRepoTagsList()) {
                if (names.contains(normalize(tag))) {
                    return true;
                }
            }
            for (String digest : image.getRepoDigestsList()) {
                if (names.contains(normalize(digest))) {
                    return true;
                }
            }
            return false;
        }
    }

    private UsedImages usedImages() {
        Set<String> ids = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (Container c : runtime.listContainers(ListContainersRequest.getDefaultInstance()).getContainersList()) {
            if (!c.getImageRef().isEmpty()) {
                ids.add(c.getImageRef());
            }
            if (!c.getImage().getImage().isEmpty()) {
                names.add(normalize(c.getImage().getImage()));
                ids.add(c.getImage().getImage());
            }
        }
        return new UsedImages(ids, names);
    }

    /**
     * A reference in the form Docker lists tags: without {@code docker.io/} and {@code library/}, with
     * {@code :latest} when it names neither a tag nor a digest.
     */
    static String normalize(String ref) {
        String r = ref.trim();
        for (String prefix : List.of("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/")) {
            if (r.startsWith(prefix)) {
                r = r.substring(prefix.length());
                break;
            }
        }
        if (r.startsWith("sha256:") || r.contains("@")) {
            return r;
        }
        String last = r.substring(r.lastIndexOf('/') + 1);
        return last.contains(":") ? r : r + ":latest";
    }
}
