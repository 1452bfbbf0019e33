package dev.skiff.kubelet.stats;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.cri.stats.StatsSnapshot;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerStatsFilter;
import dev.skiff.cri.v1.FilesystemUsage;
import dev.skiff.cri.v1.ImageFsInfoRequest;
import dev.skiff.cri.v1.ListContainerStatsRequest;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.VersionRequest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What every stats answer starts from, as upstream's CRI stats provider with cAdvisor: the pods and containers
 * from a {@link PodListing} (in the kubelet the PLEG's last relist, so a request makes no runtime list call), their
 * CPU, memory, processes and network from the cgroup hierarchy, found by the container id in the cgroup's name
 * (what cAdvisor does), so the same code serves the in-process Docker shim and a remote containerd. The runtime's
 * filesystem figures (writable layers from ListContainerStats, ImageFsInfo) are asked for at most once per
 * {@link #RUNTIME_FS_PERIOD}: the runtime itself measures them only that often (containerd's
 * stats_collect_period, the Docker shim's writable-layer pass), so asking per request gains nothing.
 */
final class PodStatsSource {
    /** How long the runtime's filesystem figures are reused: the period the runtime measures them in. */
    static final Duration RUNTIME_FS_PERIOD = Duration.ofSeconds(10);
    /** How long a request waits for another request's runtime call before it fails. */
    static final Duration MAX_WAIT = Duration.ofSeconds(30);

    private final Supplier<PodListing> listing;
    private final RuntimeService runtime;
    private final CgroupStatsReader reader;
    private final CoalescingCache<Map<String, dev.skiff.cri.v1.ContainerStats>> layers;
    private final CoalescingCache<List<FilesystemUsage>> imageFs;
    private volatile View last;
    private volatile String runtimeName;

    /** The view of one cgroup snapshot and one listing: rebuilt only when either changed. */
    private record View(StatsSnapshot snapshot, PodListing listing, RuntimeView view) {}

    PodStatsSource(Supplier<PodListing> listing, RuntimeService runtime, ImageService images, CgroupStatsReader reader) {
        this.listing = listing;
        this.runtime = runtime;
        this.reader = reader;
        this.layers = new CoalescingCache<>(this::listContainerStats, RUNTIME_FS_PERIOD, MAX_WAIT);
        this.imageFs = new CoalescingCache<>(() -> images.imageFsInfo(ImageFsInfoRequest.getDefaultInstance())
                .getImageFilesystemsList(), RUNTIME_FS_PERIOD, MAX_WAIT);
    }

    CgroupStatsReader reader() {
        return reader;
    }

    /**
     * The ready pods with their running containers, matched to the cgroup reader's current snapshot, which reads the
     * cgroups of these only (not the other containers of the host).
     */
    RuntimeView read() {
        PodListing pods = listing.get();
        StatsSnapshot snap = reader.snapshot(pods.ids());
        View v = last;
        if (v != null && v.snapshot() == snap && v.listing() == pods) {
            return v.view();
        }
        RuntimeView view = join(snap, pods);
        last = new View(snap, pods, view);
        return view;
    }

    private static RuntimeView join(StatsSnapshot snap, PodListing listing) {
        Map<String, List<RuntimeView.ContainerView>> bySandbox = new HashMap<>();
        for (Container c : listing.containers()) {
            bySandbox.computeIfAbsent(c.getPodSandboxId(), k -> new ArrayList<>())
                    .add(new RuntimeView.ContainerView(c, snap.container(c.getId())));
        }
        List<RuntimeView.PodView> pods = new ArrayList<>();
        for (PodSandbox s : listing.sandboxes()) {
            List<RuntimeView.ContainerView> members = new ArrayList<>(bySandbox.getOrDefault(s.getId(), List.of()));
            members.sort(Comparator.comparing(RuntimeView.ContainerView::name));
            pods.add(new RuntimeView.PodView(s, snap.container(s.getId()), List.copyOf(members)));
        }
        pods.sort(Comparator.comparing(RuntimeView.PodView::namespace).thenComparing(RuntimeView.PodView::name));
        return new RuntimeView(snap, List.copyOf(pods));
    }

    /** Container id → the runtime's stats (for the writable layer), at most {@link #RUNTIME_FS_PERIOD} old. */
    Map<String, dev.skiff.cri.v1.ContainerStats> runtimeContainerStats() {
        return layers.get();
    }

    /** The runtime's image filesystems (ImageFsInfo), at most {@link #RUNTIME_FS_PERIOD} old. */
    List<FilesystemUsage> imageFilesystems() {
        return imageFs.get();
    }

    private Map<String, dev.skiff.cri.v1.ContainerStats> listContainerStats() {
        Map<String, dev.skiff.cri.v1.ContainerStats> out = new HashMap<>();
        for (dev.skiff.cri.v1.ContainerStats s : runtime.listContainerStats(ListContainerStatsRequest.newBuilder()
                .setFilter(ContainerStatsFilter.getDefaultInstance()).build()).getStatsList()) {
            out.put(s.getAttributes().getId(), s);
        }
        return Map.copyOf(out);
    }

    /** "docker" for the Docker shim (cAdvisor's docker handler then names containers as Docker does). */
    String runtimeName() {
        String name = runtimeName;
        if (name == null) {
            name = runtime.version(VersionRequest.getDefaultInstance()).getRuntimeName();
            runtimeName = name;
        }
        return name;
    }
}
