package dev.skiff.kubelet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PodDirsTest {
    @TempDir
    Path tmp;

    private Path mountInfo(String... mountPoints) throws IOException {
        StringBuilder sb = new StringBuilder("22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
        int id = 100;
        for (String point : mountPoints) {
            sb.append(id++).append(" 22 0:").append(id).append(" / ").append(point)
                    .append(" rw,relatime shared:").append(id).append(" - tmpfs tmpfs rw,size=1024k\n");
        }
        Path p = tmp.resolve("mountinfo");
        Files.writeString(p, sb);
        return p;
    }

    private Path podTree(String uid) throws IOException {
        Path dir = tmp.resolve("pods").resolve(uid);
        Files.createDirectories(dir.resolve("volumes/kubernetes.io~empty-dir/cache"));
        Files.writeString(dir.resolve("volumes/kubernetes.io~empty-dir/cache/data"), "x");
        Files.createDirectories(dir.resolve("etc-hosts-dir"));
        Files.writeString(dir.resolve("etc-hosts"), "127.0.0.1 localhost\n");
        return dir;
    }

    @Test
    void mountsUnderFindsTheDirAndBelowOnly() throws IOException {
        Path pods = tmp.resolve("pods");
        Path mi = mountInfo(pods + "/abc", pods + "/abc/volumes/v1", pods + "/abc2/volumes/v1", pods + "/ab",
                "/var/lib/docker/overlay2/x/merged");
        List<String> under = new PodDirs(mi).mountsUnder(pods.resolve("abc"));
        assertEquals(List.of(pods + "/abc", pods + "/abc/volumes/v1"), under);
    }

    @Test
    void mountsUnderDecodesOctalEscapes() throws IOException {
        Path dir = tmp.resolve("pods/with space");
        // mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134
        Path mi = mountInfo(tmp + "/pods/with\\040space/volumes/a\\011tab", tmp + "/pods/with\\040space\\134x",
                tmp + "/pods/with\\040spacey");
        List<String> under = new PodDirs(mi).mountsUnder(dir);
        assertEquals(List.of(dir + "/volumes/a\ttab"), under);
        assertEquals(List.of(tmp + "/pods/with space\\x"), new PodDirs(mi).mountsUnder(tmp.resolve("pods/with space\\x")));
    }

    @Test
    void mountsUnderNormalizesTheDir() throws IOException {
        Path pods = tmp.resolve("pods");
        Path mi = mountInfo(pods + "/abc/volumes/v1");
        assertEquals(1, new PodDirs(mi).mountsUnder(pods.resolve("x/../abc")).size());
    }

    @Test
    void unreadableMountinfoCountsAsMounted() {
        List<String> under = new PodDirs(tmp.resolve("no-mountinfo")).mountsUnder(tmp.resolve("pods/abc"));
        assertEquals(1, under.size());
        assertTrue(under.get(0).contains("cannot read"), under.get(0));
    }

    @Test
    void removesAnUnmountedTree() throws IOException {
        Path dir = podTree("abc");
        Path pods = tmp.resolve("pods");
        PodDirs dirs = new PodDirs(mountInfo(pods + "/abc2/volumes/v1", pods + "/ab"));
        assertTrue(dirs.removeIfUnmounted(dir, "default/web"));
        assertFalse(Files.exists(dir));
        assertTrue(Files.isDirectory(pods), "only the pod's own dir goes");
    }

    @Test
    void keepsATreeWithAMountInIt() throws IOException {
        Path dir = podTree("abc");
        PodDirs dirs = new PodDirs(mountInfo(dir + "/volumes/kubernetes.io~empty-dir/cache"));
        assertFalse(dirs.removeIfUnmounted(dir, "default/web"));
        assertTrue(Files.exists(dir.resolve("volumes/kubernetes.io~empty-dir/cache/data")), "nothing deleted through a mount");
        assertTrue(Files.exists(dir.resolve("etc-hosts")), "nothing deleted at all");
    }

    @Test
    void keepsATreeWhenMountinfoCannotBeRead() throws IOException {
        Path dir = podTree("abc");
        assertFalse(new PodDirs(tmp.resolve("no-mountinfo")).removeIfUnmounted(dir, "default/web"));
        assertTrue(Files.exists(dir.resolve("etc-hosts")));
    }

    @Test
    void aPrefixSiblingsMountDoesNotKeepTheDir() throws IOException {
        Path abc = podTree("abc");
        Path abc2 = podTree("abc2");
        PodDirs dirs = new PodDirs(mountInfo(abc2 + "/volumes/kubernetes.io~empty-dir/cache"));
        assertTrue(dirs.removeIfUnmounted(abc, "default/web"));
        assertFalse(Files.exists(abc));
        assertFalse(dirs.removeIfUnmounted(abc2, "default/web2"));
        assertTrue(Files.exists(abc2));
    }

    @Test
    void anAbsentDirCountsAsRemoved() throws IOException {
        assertTrue(new PodDirs(mountInfo()).removeIfUnmounted(tmp.resolve("pods/gone"), "default/gone"));
    }

    @Test
    void symlinksAreRemovedNotFollowed() throws IOException {
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("keep"), "precious");
        Path dir = podTree("abc");
        Files.createSymbolicLink(dir.resolve("link"), outside);
        assertTrue(new PodDirs(mountInfo()).removeIfUnmounted(dir, "default/web"));
        assertFalse(Files.exists(dir));
        assertTrue(Files.exists(outside.resolve("keep")));
    }
}
