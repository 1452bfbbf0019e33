package dev.skiff.volume.block;

import dev.skiff.volume.mount.LibC;
import dev.skiff.volume.mount.LinuxMounter;
import dev.skiff.volume.mount.MountInfo;
import dev.skiff.volume.mount.TestMounts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real loop devices, blkid, mkfs.ext4 and ext4 mounts on a sparse file under a fresh temp dir; needs root. */
class BlockDevicesIT {
    private static final long SIZE = 64L << 20;

    private final LoopDevices loops = new LoopDevices();
    private final Blkid blkid = new Blkid();
    private final Mkfs mkfs = new Mkfs();
    private final LinuxMounter mounter = new LinuxMounter();
    private Path tmp;
    private Path file;

    @BeforeEach
    void setUp() throws IOException {
        tmp = Files.createTempDirectory("skiff-block-it").toRealPath();
        file = tmp.resolve("vol.img");
    }

    @AfterEach
    void tearDown() throws IOException {
        // Mounts first (a mounted device would only be detached lazily), then the devices, then the files.
        for (Path p : mounter.mountPointsUnder(tmp)) {
            mounter.unmount(p);
        }
        try {
            loops.detach(file);
        } finally {
            List<Path> left = loops.findAll(file);
            for (Path d : left) {
                Commands.run(List.of("losetup", "-d", d.toString()), Duration.ofSeconds(10));
            }
            TestMounts.unmountAllAndDelete(tmp);
        }
    }

    @Test
    void attachProbeFormatKeepAndDetach() throws IOException {
        SparseFiles.create(file, SIZE);
        assertEquals(SIZE, Files.size(file));
        assertTrue(allocatedBytes(file) < (1L << 20), "the backing file is sparse");

        Path device = loops.attach(file);
        assertTrue(Files.exists(device), device + " exists");
        String n = device.getFileName().toString();
        assertEquals(file.toString(), Files.readString(sysLoop(n).resolve("backing_file")).strip());
        assertEquals("0", Files.readString(sysLoop(n).resolve("autoclear")).strip());
        LoopDevices.Status status = loops.status(device);
        assertEquals(file.toString(), status.fileName());
        assertEquals(0, status.flags() & LoopLibC.LO_FLAGS_AUTOCLEAR);
        assertEquals(SIZE, 512L * Long.parseLong(Files.readString(Path.of("/sys/block", n, "size")).strip()));

        assertEquals(device, loops.attach(file), "attaching again gives the same device");
        assertEquals(List.of(device), loops.findAll(file));

        assertEquals(Optional.empty(), blkid.fsType(device));
        assertTrue(blkid.probe(device).isBlank());

        Mkfs.Outcome made = mkfs.formatIfBlank(device, "ext4");
        assertEquals(new Mkfs.Outcome("ext4", true), made);
        assertEquals(Optional.of("ext4"), blkid.fsType(device));

        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        mounter.mount(device.toString(), mnt, "ext4", 0, null);
        MountInfo m = TestMounts.entriesAt(mnt).get(0);
        assertEquals("ext4", m.fsType());
        Files.writeString(mnt.resolve("data.txt"), "survives");
        assertTrue(mounter.unmount(mnt));

        Mkfs.Outcome again = mkfs.formatIfBlank(device, "ext4");
        assertEquals(new Mkfs.Outcome("ext4", false), again, "an existing filesystem is kept");
        // A different requested type does not format either.
        assertEquals(new Mkfs.Outcome("ext4", false), mkfs.formatIfBlank(device, "xfs"));

        mounter.mount(device.toString(), mnt, "ext4", 0, null);
        assertEquals("survives", Files.readString(mnt.resolve("data.txt")));
        assertTrue(mounter.unmount(mnt));

        assertTrue(loops.detach(file));
        assertFalse(Files.exists(sysLoop(n).resolve("backing_file")), device + " is free");
        assertTrue(loops.find(file).isEmpty());
        assertFalse(loops.detach(file), "detaching again does nothing");
        assertFalse(loops.detachDevice(device), "the free device is not detached again");

        // The filesystem lives in the file: a new attach finds it and the data.
        Path again2 = loops.attach(file);
        assertEquals(Optional.of("ext4"), blkid.fsType(again2));
        mounter.mount(again2.toString(), mnt, "ext4", LibC.MS_RDONLY, null);
        assertEquals("survives", Files.readString(mnt.resolve("data.txt")));
    }

    @Test
    void losetupFallbackIsFoundAndDetachedLikeTheIoctlPath() throws IOException {
        SparseFiles.create(file, SIZE);
        Path device = loops.attachByLosetup(file);
        assertEquals(Optional.of(device), loops.find(file));
        assertEquals(device, loops.attach(file), "attach reuses the device losetup bound");
        assertTrue(loops.detach(file));
        assertTrue(loops.find(file).isEmpty());
    }

    @Test
    void legacySetFdPathBindsWithTheNameAndNoAutoclear() throws IOException {
        SparseFiles.create(file, SIZE);
        LoopDevices legacy = new LoopDevices(Path.of("/dev"), Path.of("/sys/block"), Duration.ofSeconds(30), false);
        Path device = legacy.attach(file);
        String n = device.getFileName().toString();
        assertEquals(file.toString(), Files.readString(sysLoop(n).resolve("backing_file")).strip());
        assertEquals("0", Files.readString(sysLoop(n).resolve("autoclear")).strip());
        assertEquals(file.toString(), legacy.status(device).fileName());
        assertEquals(device, loops.attach(file));
        assertTrue(legacy.detach(file));
        assertTrue(loops.find(file).isEmpty());
    }

    @Test
    void aMountedDeviceIsDetachedWhenItsLastUserGoes() throws IOException {
        SparseFiles.create(file, SIZE);
        Path device = loops.attach(file);
        mkfs.formatIfBlank(device, null);
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        mounter.mount(device.toString(), mnt, "ext4", 0, null);
        assertTrue(loops.detachDevice(device));
        // Still bound while mounted (the kernel set autoclear), gone after the unmount.
        String n = device.getFileName().toString();
        assertTrue(Files.exists(sysLoop(n).resolve("backing_file")));
        mounter.unmount(mnt);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (Files.exists(sysLoop(n).resolve("backing_file")) && System.nanoTime() < deadline) {
            sleep();
        }
        assertTrue(loops.find(file).isEmpty(), device + " freed after unmount");
    }

    @Test
    void aDeviceWithAPartitionTableIsNotFormatted() throws IOException {
        SparseFiles.create(file, SIZE);
        writeMbr(file);
        Path device = loops.attach(file);
        assertEquals(Optional.of("dos"), blkid.probe(device).partitionTableType());
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> mkfs.formatIfBlank(device, "ext4"));
        assertTrue(e.getMessage().contains("refusing to format"), e.getMessage());
        assertTrue(blkid.fsType(device).isEmpty());
    }

    private static Path sysLoop(String name) {
        return Path.of("/sys/block", name, "loop");
    }

    private static long allocatedBytes(Path f) throws BlockDeviceException {
        Commands.Result r = Commands.run(List.of("stat", "-c", "%b %B", f.toString()), Duration.ofSeconds(5));
        String[] parts = r.stdout().strip().split(" ");
        return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A DOS partition table with one Linux partition (sectors 2048..6143), as fdisk would write it. */
    private static void writeMbr(Path f) throws IOException {
        ByteBuffer mbr = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        mbr.put(446 + 4, (byte) 0x83);
        mbr.putInt(446 + 8, 2048);
        mbr.putInt(446 + 12, 4096);
        mbr.put(510, (byte) 0x55);
        mbr.put(511, (byte) 0xAA);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(mbr, 0);
        }
    }
}
