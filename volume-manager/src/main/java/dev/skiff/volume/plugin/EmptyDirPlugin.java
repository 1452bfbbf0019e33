package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code emptyDir} (upstream pkg/volume/emptydir): a directory in the pod's volume dir, or with
 * {@code medium: Memory} a tmpfs sized as upstream sizes it (see {@link #tmpfsSize}), so a write past it fails
 * inside the container.
 */
public final class EmptyDirPlugin implements VolumePlugin {
    public static final String NAME = "kubernetes.io/empty-dir";
    /** Upstream makes the directory world-writable: any container user may use it. */
    static final int DIR_MODE = 0777;
    /** A tmpfs root as upstream leaves it: world-writable and sticky. */
    static final int TMPFS_MODE = 01777;

    private final VolumeDirs dirs;
    private final long allocatableMemory;

    public EmptyDirPlugin(VolumeDirs dirs, NodeResources node) {
        this.dirs = dirs;
        this.allocatableMemory = node.allocatableMemoryBytes();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getEmptyDir() != null;
    }

    @Override
    public void setUp(VolumeSpec spec) throws VolumeException {
        EmptyDirVolumeSource source = spec.volume().getEmptyDir();
        String medium = source.getMedium() == null ? "" : source.getMedium();
        switch (medium) {
            case "" -> {
                try {
                    VolumeDirs.ensureDir(spec.dir(), DIR_MODE);
                } catch (IOException e) {
                    throw new VolumeException("cannot create the emptyDir directory: " + e.getMessage(), e);
                }
            }
            case "Memory" -> dirs.ensureTmpfs(spec.dir(), tmpfsSize(spec.pod(), source, allocatableMemory), TMPFS_MODE);
            default -> throw new VolumeException("emptyDir medium \"" + medium + "\" is not supported (use \"\" or \"Memory\")");
        }
        Optional<Long> fsGroup = VolumeOwnership.fsGroup(spec.pod());
        if (fsGroup.isPresent()) {
            try {
                VolumeOwnership.apply(spec.dir(), fsGroup.get(), false);
            } catch (IOException e) {
                throw new VolumeException("cannot set the emptyDir's group to fsGroup " + fsGroup.get() + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void tearDown(Path dir) throws VolumeException {
        dirs.remove(dir);
    }

    /** {@link #tmpfsSize(Pod, EmptyDirVolumeSource, long)} without the node's allocatable memory. */
    static long tmpfsSize(Pod pod, EmptyDirVolumeSource source) {
        return tmpfsSize(pod, source, 0);
    }

    /**
     * Upstream SizeMemoryBackedVolumes: the node's allocatable memory, or the pod's memory limit when every
     * container has one, or the sizeLimit when it is smaller; 0 (the kernel's default, half the RAM) when none is
     * known.
     */
    static long tmpfsSize(Pod pod, EmptyDirVolumeSource source, long allocatable) {
        long size = allocatable;
        long podLimit = podMemoryLimit(pod);
        if (podLimit > 0) {
            size = podLimit;
        }
        long sizeLimit = bytes(source.getSizeLimit());
        if (sizeLimit > 0 && (size <= 0 || sizeLimit < size)) {
            size = sizeLimit;
        }
        return size;
    }

    /** The sum of the containers' memory limits, or 0 when one has none. */
    private static long podMemoryLimit(Pod pod) {
        long sum = 0;
        for (Container c : pod.getSpec().getContainers()) {
            Quantity q = c.getResources() == null || c.getResources().getLimits() == null ? null
                    : c.getResources().getLimits().get("memory");
            long b = bytes(q);
            if (b <= 0) {
                return 0;
            }
            sum += b;
        }
        return sum;
    }

    private static long bytes(Quantity q) {
        if (q == null || q.getAmount() == null || q.getAmount().isEmpty()) {
            return 0;
        }
        BigDecimal amount = q.getNumericalAmount();
        return amount.setScale(0, RoundingMode.CEILING).longValueExact();
    }
}
