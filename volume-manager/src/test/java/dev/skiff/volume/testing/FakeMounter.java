package dev.skiff.volume.testing;

import dev.skiff.volume.mount.Mounter;

import java.nio.file.Path;
import java.util.List;

/** A mounter for pure-logic tests: nothing is ever mounted. */
public final class FakeMounter implements Mounter {
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
        return false;
    }

    @Override
    public List<Path> mountPointsUnder(Path dir) {
        return List.of();
    }

    @Override
    public void makeRShared(Path dir) {
    }
}
