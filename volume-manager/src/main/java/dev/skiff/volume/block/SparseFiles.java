package dev.skiff.volume.block;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Backing files of loop-backed volumes: sparse (no blocks until written), owner-only, never shrunk. */
public final class SparseFiles {
    private static final Logger log = LoggerFactory.getLogger(SparseFiles.class);

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private SparseFiles() {
    }

    /**
     * Makes {@code file} a regular file of {@code bytes} bytes with mode 0600. A missing file is created sparse; an
     * existing smaller one is grown (sparse too); an existing one of that size is left as it is; a larger one is
     * refused, since shrinking would cut off a filesystem's data. The parent dir must exist. Returns the size.
     */
    public static long create(Path file, long bytes) throws BlockDeviceException {
        if (bytes <= 0) {
            throw new BlockDeviceException("backing file " + file + ": size must be positive, not " + bytes);
        }
        boolean created = false;
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            created = true;
        } catch (FileAlreadyExistsException e) {
            // checked below
        } catch (IOException e) {
            throw new BlockDeviceException("create backing file " + file + ": " + e, e);
        }
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isRegularFile()) {
                throw new BlockDeviceException("backing file " + file + " exists and is not a regular file");
            }
            if (attrs.size() > bytes) {
                throw new BlockDeviceException("backing file " + file + " is " + attrs.size()
                        + " bytes; refusing to shrink it to " + bytes);
            }
            // The umask cannot widen 0600, but an existing file may have other bits.
            Files.setPosixFilePermissions(file, OWNER_ONLY);
            if (attrs.size() < bytes) {
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                    raf.setLength(bytes); // ftruncate: the new range is a hole
                }
                if (created) {
                    log.info("created sparse backing file {} of {} bytes", file, bytes);
                } else {
                    log.info("grew backing file {} from {} to {} bytes", file, attrs.size(), bytes);
                }
            } else {
                log.debug("backing file {} already has {} bytes", file, bytes);
            }
            return bytes;
        } catch (BlockDeviceException e) {
            throw e;
        } catch (IOException e) {
            throw new BlockDeviceException("size backing file " + file + " to " + bytes + " bytes: " + e, e);
        }
    }
}
