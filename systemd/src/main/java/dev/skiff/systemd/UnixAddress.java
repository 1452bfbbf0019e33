package dev.skiff.systemd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A {@code struct sockaddr_un} for a {@code $NOTIFY_SOCKET} value, built as systemd's sockaddr_un_set_path does: an
 * absolute path is NUL-terminated; {@code @name} is an abstract socket, its '@' becomes a NUL byte and the address
 * length covers exactly the name (no trailing NUL: the kernel counts every byte of an abstract name).
 *
 * @param bytes  the address (family, then sun_path), exactly {@code length} bytes
 * @param length what to pass as the address length: offsetof(sun_path) + the path bytes used
 */
record UnixAddress(byte[] bytes, int length) {
    /** offsetof(struct sockaddr_un, sun_path): the 2-byte sa_family_t. */
    static final int PATH_OFFSET = 2;
    /** sizeof(sun_path) on Linux. */
    static final int PATH_MAX = 108;

    /**
     * @throws IllegalArgumentException naming the problem when {@code socket} is neither an absolute path nor
     *                                  {@code @name}, or does not fit in sun_path
     */
    static UnixAddress of(String socket) {
        if (socket.isEmpty()) {
            throw new IllegalArgumentException("empty socket address");
        }
        byte[] name = socket.getBytes(StandardCharsets.UTF_8);
        byte[] path;
        if (name[0] == '@') {
            path = name.clone();
            path[0] = 0;
        } else if (name[0] == '/') {
            path = new byte[name.length + 1];
            System.arraycopy(name, 0, path, 0, name.length);
        } else {
            throw new IllegalArgumentException("\"" + socket + "\" is neither an absolute path nor an @abstract name");
        }
        if (path.length > PATH_MAX) {
            throw new IllegalArgumentException("\"" + socket + "\" is longer than a socket address may be ("
                    + PATH_MAX + " bytes)");
        }
        ByteBuffer b = ByteBuffer.allocate(PATH_OFFSET + path.length).order(ByteOrder.nativeOrder());
        b.putShort((short) SdLibC.AF_UNIX).put(path);
        return new UnixAddress(b.array(), b.capacity());
    }
}
