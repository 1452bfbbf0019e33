package dev.skiff.volume.testing;

import dev.skiff.volume.mount.Mounter;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A mounter for pure-logic tests: nothing is ever mounted; paths given to {@link #mounted} count as mount points. */
public final class FakeMounter implements Mounter {
    private final Set<Path> mountPoints = ConcurrentHashMap.newKeySet();

    /** Makes {@code path} a mount point for {@link #isMountPoint}, as one left by an earlier run would be. */
    public FakeMounter mounted(Path path) {
        mountPoints.add(path);
        return this;
    }

    @Override
    public void mount(String source, Path target, String fsType, long flags, String data) {
        throw new UnsupportedOperationException("no mounts in unit tests");
    }

    @Override
    public void bind(Path source, Path target, boolean readOnly) {
        throw new UnsupportedOperationException("no mounts in unit tests");
    }

    @Override
    public boolean unmount(Path target) {
        return false;
    }

    @Override
    public boolean isMountPoint(Path path) {
        return mountPoints.contains(path);
    }

    @Override
    public List<Path> mountPointsUnder(Path dir) {
        return List.of();
    }

    @Override
    public void makeRShared(Path dir) {
    }
}
