package dev.skiff.kubelet.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Skiff's local admin credential: a random bearer token in {@code <cert-dir>/admin.token} (mode 0600, made on the
 * first start and kept), accepted on the secure port as user {@code skiff:admin} in group {@code system:masters}. It
 * lets root on the node use {@code skiff exec}, {@code attach} and {@code port-forward} without setting up a CA or a
 * token file; upstream has no such file because its clients come through the API server. Whoever can read the file
 * is root on the node already.
 */
public final class AdminToken {
    public static final String FILE = "admin.token";
    public static final User USER = new User("skiff:admin", "", List.of("system:masters"));
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private AdminToken() {
    }

    /** The token in {@code dir}/admin.token, made when absent; a file that others may read is refused. */
    public static String ensure(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(file + " is not a regular file: remove it and Skiff makes a new token");
            }
            if (!Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY)) {
                throw new IOException(file + " may be read by others than its owner: chmod 600 it (or remove it and "
                        + "Skiff makes a new token)");
            }
            String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (token.length() < 32 || !token.matches("[0-9a-f]+")) {
                throw new IOException(file + " does not hold a Skiff admin token (64 hex digits): remove it and Skiff "
                        + "makes a new one");
            }
            return token;
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = HexFormat.of().formatHex(random);
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + FILE + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            throw new IOException("cannot create " + tmp, e);
        }
        Files.writeString(tmp, token + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return token;
    }
}
