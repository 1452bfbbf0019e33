package dev.skiff.streamclient;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * SPDY/3 name/value header blocks (draft 3, section 2.6.10): a 32-bit pair count, then per pair a
 * 32-bit length and the name, a 32-bit length and the value (several values NUL-separated).
 * Each direction of a connection compresses its blocks as ONE zlib stream primed with
 * {@link SpdyDictionary}, each block ending in a sync flush; so an instance is per direction.
 * Names must be lower case (spdystream, the Go library of kubectl and the kubelet, rejects others).
 */
final class SpdyHeaderBlock {
    private static final int MAX_BLOCK = 1 << 20;

    /** The compressing side of one direction. */
    static final class Encoder {
        private final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);

        Encoder() {
            deflater.setDictionary(SpdyDictionary.bytes());
        }

        byte[] encode(Map<String, List<String>> headers) {
            ByteArrayOutputStream plain = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(plain)) {
                out.writeInt(headers.size());
                for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                    if (!e.getKey().equals(e.getKey().toLowerCase(Locale.ROOT)) || e.getKey().isEmpty()) {
                        throw new IllegalArgumentException("SPDY header names are lower case and not empty: " + e.getKey());
                    }
                    byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                    byte[] value = String.join("\0", e.getValue()).getBytes(StandardCharsets.UTF_8);
                    out.writeInt(name.length);
                    out.write(name);
                    out.writeInt(value.length);
                    out.write(value);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            deflater.setInput(plain.toByteArray());
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            while (true) {
                int n = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
                compressed.write(buf, 0, n);
                if (n < buf.length) {
                    return compressed.toByteArray();
                }
            }
        }
    }

    /** The decompressing side of one direction. */
    static final class Decoder {
        private final Inflater inflater = new Inflater();

        Map<String, List<String>> decode(byte[] payload, int offset) throws ProtocolException {
            inflater.setInput(payload, offset, payload.length - offset);
            ByteArrayOutputStream plain = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            try {
                while (true) {
                    int n = inflater.inflate(buf);
                    if (n > 0) {
                        plain.write(buf, 0, n);
                        if (plain.size() > MAX_BLOCK) {
                            throw new ProtocolException("SPDY header block inflates past " + MAX_BLOCK + " bytes");
                        }
                    } else if (inflater.needsDictionary()) {
                        inflater.setDictionary(SpdyDictionary.bytes());
                    } else {
                        break;
                    }
                }
            } catch (DataFormatException | IllegalArgumentException e) {
                throw new ProtocolException("SPDY header block is not a zlib stream primed with the SPDY/3 dictionary: " + e.getMessage());
            }
            if (inflater.getRemaining() > 0) {
                throw new ProtocolException("SPDY header block has " + inflater.getRemaining() + " bytes past its zlib data");
            }
            return parse(plain.toByteArray());
        }

        private static Map<String, List<String>> parse(byte[] block) throws ProtocolException {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(block))) {
                int count = in.readInt();
                Map<String, List<String>> headers = new LinkedHashMap<>();
                for (int i = 0; i < count; i++) {
                    String name = new String(in.readNBytes(length(in, block)), StandardCharsets.UTF_8);
                    String value = new String(in.readNBytes(length(in, block)), StandardCharsets.UTF_8);
                    if (name.isEmpty() || !name.equals(name.toLowerCase(Locale.ROOT))) {
                        throw new ProtocolException("SPDY header name is empty or not lower case: '" + name + "'");
                    }
                    if (headers.containsKey(name)) {
                        throw new ProtocolException("SPDY header block repeats the name '" + name + "'");
                    }
                    headers.put(name, new ArrayList<>(Arrays.asList(value.split("\0", -1))));
                }
                if (in.available() > 0) {
                    throw new ProtocolException("SPDY header block has " + in.available() + " bytes after its " + count + " pairs");
                }
                return headers;
            } catch (ProtocolException e) {
                throw e;
            } catch (IOException e) {
                throw new ProtocolException("SPDY header block is truncated");
            }
        }

        private static int length(DataInputStream in, byte[] block) throws IOException {
            int n = in.readInt();
            if (n < 0 || n > block.length) {
                throw new ProtocolException("SPDY header length " + n + " exceeds the block");
            }
            return n;
        }
    }

    private SpdyHeaderBlock() {}
}
