package dev.skiff.kubelet.pod;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A manifest file's bytes made into UTF-8 text for the parsers, or refused with a reason that names a line and never
 * quotes the content. As upstream's YAML reader (go-yaml) does, a byte order mark chooses the encoding: UTF-8's is
 * dropped, UTF-16 (either byte order) is transcoded; without one the file must be UTF-8. NUL and other control
 * characters (tab, line feed and carriage return aside) mean the file is no text manifest. A file whose first
 * character is '{' or '[' is JSON (as upstream's ToJSON decides), anything else YAML, and YAML lines are bounded
 * ({@link ManifestLimits#maxLineLength()}).
 */
final class ManifestText {
    /** The text as UTF-8 (no byte order mark) and which parser reads it. */
    record Decoded(byte[] utf8, boolean json) {}

    private ManifestText() {}

    static Decoded decode(Path file, byte[] raw, ManifestLimits limits) throws ManifestException {
        byte[] utf8;
        if (startsWith(raw, 0xEF, 0xBB, 0xBF)) {
            utf8 = java.util.Arrays.copyOfRange(raw, 3, raw.length);
            checkUtf8(file, utf8);
        } else if (startsWith(raw, 0xFE, 0xFF)) {
            utf8 = transcode(file, raw, StandardCharsets.UTF_16BE);
        } else if (startsWith(raw, 0xFF, 0xFE)) {
            utf8 = transcode(file, raw, StandardCharsets.UTF_16LE);
        } else {
            utf8 = raw;
            checkUtf8(file, utf8);
        }
        boolean json = startsLikeJson(utf8);
        scanLines(file, utf8, json ? Integer.MAX_VALUE : limits.maxLineLength());
        return new Decoded(utf8, json);
    }

    private static boolean startsWith(byte[] b, int... prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xff) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] transcode(Path file, byte[] raw, Charset utf16) throws ManifestException {
        ByteBuffer in = ByteBuffer.wrap(raw, 2, raw.length - 2);
        try {
            CharBuffer text = decoder(utf16).decode(in);
            return toArray(StandardCharsets.UTF_8.newEncoder().encode(text));
        } catch (CharacterCodingException e) {
            throw new ManifestException(file, 0, "not a text manifest: the byte order mark says " + utf16.name()
                    + ", but the file is not valid " + utf16.name());
        }
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static CharsetDecoder decoder(Charset cs) {
        return cs.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /** Valid UTF-8, or a refusal naming the line of the first bad byte. */
    private static void checkUtf8(Path file, byte[] b) throws ManifestException {
        // fast path: ASCII only (every manifest we write)
        boolean ascii = true;
        for (byte x : b) {
            if (x < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return;
        }
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer out = CharBuffer.allocate(8192);
        CharsetDecoder d = decoder(StandardCharsets.UTF_8);
        while (true) {
            CoderResult r = d.decode(in, out, true);
            if (r.isError()) {
                throw new ManifestException(file, lineAt(b, in.position()), "not a text manifest: invalid UTF-8"
                        + " (a file without a byte order mark must be UTF-8)");
            }
            if (r.isUnderflow()) {
                return;
            }
            out.clear();
        }
    }

    private static int lineAt(byte[] b, int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < b.length; i++) {
            if (b[i] == '\n') {
                line++;
            }
        }
        return line;
    }

    private static boolean startsLikeJson(byte[] b) {
        for (byte x : b) {
            if (x == '{' || x == '[') {
                return true;
            }
            if (x != ' ' && x != '\t' && x != '\r' && x != '\n') {
                return false;
            }
        }
        return false;
    }

    /** Control characters anywhere, and lines longer than {@code maxLine} characters (code points). */
    private static void scanLines(Path file, byte[] b, int maxLine) throws ManifestException {
        int line = 1;
        int length = 0;
        for (byte x : b) {
            if (x == '\n') {
                line++;
                length = 0;
                continue;
            }
            if (x >= 0 && x < 0x20 && x != '\t' && x != '\r') {
                throw new ManifestException(file, line, x == 0
                        ? "not a text manifest: binary content (a NUL byte); UTF-16 needs a byte order mark"
                        : String.format("not a text manifest: control character U+%04X", (int) x));
            }
            if ((x & 0xC0) != 0x80 && ++length > maxLine) {
                throw new ManifestException(file, line, "line longer than " + maxLine + " characters, the limit for"
                        + " YAML (its scanner slows down with the square of a line's length); put a long value in a"
                        + " block scalar (|) or write the file as JSON");
            }
        }
    }
}
